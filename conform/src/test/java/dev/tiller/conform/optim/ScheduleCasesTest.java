package dev.tiller.conform.optim;

import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.GoldenFile;
import dev.tiller.conform.ShippedCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schedule runner on the shipped schedules.json, on differential cases with random arguments from PyTorch and
 * Optax (test resource golden/schedules-differential.json, made by conform/tools), and its argument handling.
 */
class ScheduleCasesTest {
    @TestFactory
    List<DynamicTest> everyShippedScheduleCasePasses() throws IOException {
        return ShippedCases.everyCase("schedules.json", 27, ScheduleCases::check);
    }

    /** The cases of a test resource; a missing one fails the test. */
    private static List<GoldenCase> load(String resource) throws IOException {
        try (InputStream in = ScheduleCasesTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + ": test resource missing");
            }
            return GoldenFile.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
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
        GoldenCase c = new GoldenCase("inline", 0, new LinkedHashMap<>(Map.of("kind", "schedule",
                "name", "x", "schedule", "StepLR", "base_lr", 0.1,
                "hyper", Map.of("step_size", 3.0, "verbose", true), "lrs", List.of(0.1),
                "atol", 1e-9, "rtol", 1e-6)));
        CaseResult r = ScheduleCases.check(c);
        assertEquals(CaseResult.Status.FAIL, r.status());
        assertTrue(r.detail().contains("'verbose' is not supported"), r.detail());
    }
}
