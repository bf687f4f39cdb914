package dev.tiller.conform.optim;

import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schedule runner on 93 differential cases from PyTorch and Optax, and its argument handling. */
class ScheduleCasesTest {
    @SuppressWarnings("unchecked")
    private static List<GoldenCase> load(String resource) throws IOException {
        try (InputStream in = ScheduleCasesTest.class.getResourceAsStream(resource)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, Object> root = (Map<String, Object>) Json.parse(text, resource);
            List<GoldenCase> out = new ArrayList<>();
            List<Object> cases = (List<Object>) root.get("cases");
            for (int i = 0; i < cases.size(); i++) {
                out.add(new GoldenCase(resource, i, (Map<String, Object>) cases.get(i)));
            }
            return out;
        }
    }

    @Test
    void differentialCasesAllPass() throws IOException {
        List<GoldenCase> cases = load("/golden/schedules-differential.json");
        assertEquals(93, cases.size());
        List<String> bad = new ArrayList<>();
        for (GoldenCase c : cases) {
            CaseResult r = ScheduleCases.check(c);
            if (r.status() != CaseResult.Status.PASS) {
                bad.add(c.name() + " " + r.status() + " " + r.detail());
            }
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void sequentialLrStringsParseWithDefaults() {
        ScheduleArgs.Call call = ScheduleArgs.parseCall(" CosineAnnealingLR(T_max=30, eta_min=1e-4) ");
        assertEquals("CosineAnnealingLR", call.name());
        assertEquals(Map.of("T_max", 30.0, "eta_min", 1e-4), call.kwargs());
        ScheduleArgs.Call list = ScheduleArgs.parseCall("MultiStepLR(milestones=[2, 6], gamma=0.5)");
        assertEquals(List.of(2.0, 6.0), list.kwargs().get("milestones"));
        assertEquals(Map.of(), ScheduleArgs.parseCall("ExponentialLR()").kwargs());
    }

    @Test
    void anUnknownArgumentFailsTheCaseInsteadOfBeingIgnored() {
        GoldenCase c = new GoldenCase("inline", 0, new java.util.LinkedHashMap<>(Map.of("kind", "schedule",
                "name", "x", "schedule", "StepLR", "base_lr", 0.1,
                "hyper", Map.of("step_size", 3.0, "verbose", true), "lrs", List.of(0.1),
                "atol", 1e-9, "rtol", 1e-6)));
        CaseResult r = ScheduleCases.check(c);
        assertEquals(CaseResult.Status.FAIL, r.status());
        assertTrue(r.detail().contains("'verbose' is not supported"), r.detail());
    }
}
