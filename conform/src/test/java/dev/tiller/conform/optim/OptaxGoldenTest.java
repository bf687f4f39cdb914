package dev.tiller.conform.optim;

import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Optax cases of shared/golden/optimizers.json (Optax 0.2.8) pass through the golden runner, and the factory's
 * argument handling: masks as booleans or per-tensor lists, and unknown arguments rejected naming case and field.
 */
class OptaxGoldenTest {
    private static final Set<String> OPTAX = Set.of("lion", "lamb", "lars", "adabelief", "yogi", "adan", "novograd",
            "schedule_free_adamw", "prodigy");

    @Test
    void everyOptaxGoldenCasePasses() throws IOException {
        Path file = Path.of("../../shared/golden/optimizers.json").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(file), "shared/golden is not beside this checkout: " + file);
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(file), file.toString());
        List<?> cases = (List<?>) root.get("cases");
        List<String> failures = new ArrayList<>();
        int seen = 0;
        for (int i = 0; i < cases.size(); i++) {
            @SuppressWarnings("unchecked")
            GoldenCase c = new GoldenCase(file.toString(), i, (Map<String, Object>) cases.get(i));
            if (!OPTAX.contains(c.string("optimizer"))) {
                continue;
            }
            seen++;
            CaseResult r = OptimizerCases.check(c);
            if (r.status() != CaseResult.Status.PASS) {
                failures.add(c.name() + ": " + r.detail());
            }
        }
        assertEquals(OPTAX.size(), seen);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** A two-tensor case whose expected params come from the given closed-form single step. */
    private static GoldenCase oneStep(String optimizer, Map<String, Object> hyper, List<Double> p0a, List<Double> p0b,
                                      List<Double> ga, List<Double> gb, List<Double> pa, List<Double> pb) {
        Map<String, Object> f = new HashMap<>();
        f.put("kind", "optimizer");
        f.put("name", optimizer + "_test");
        f.put("optimizer", optimizer);
        f.put("hyper", hyper);
        f.put("shapes", List.of(List.of((double) p0a.size()), List.of((double) p0b.size())));
        f.put("p0", List.of(p0a, p0b));
        f.put("grads", List.of(List.of(ga, gb)));
        f.put("params", List.of(List.of(pa, pb)));
        f.put("atol", 1e-6);
        f.put("rtol", 1e-5);
        return new GoldenCase("test", 0, f);
    }

    @Test
    void lionMaskListSkipsDecayForTensorsMarkedFalse() {
        // one step from m = 0: p1 = p0 - lr (sign(g) + wd p0), decay only where the mask is true
        double lr = 0.1;
        double wd = 0.5;
        Map<String, Object> hyper = new HashMap<>(Map.of("learning_rate", lr, "weight_decay", wd,
                "mask", List.of(true, false)));
        GoldenCase c = oneStep("lion", hyper, List.of(1.0, -2.0), List.of(3.0), List.of(0.5, 0.25), List.of(-1.0),
                List.of(1 - lr * (1 + wd), -2 - lr * (1 - 2 * wd)), List.of(3 + lr));
        CaseResult r = OptimizerCases.check(c);
        assertEquals(CaseResult.Status.PASS, r.status(), r.detail());
    }

    @Test
    void larsTrustRatioMaskFalseIsPlainLrScaledGradient() {
        // trust_ratio_mask = false everywhere, first step (trace 0): p1 = p0 - lr g
        Map<String, Object> hyper = new HashMap<>(Map.of("learning_rate", 0.5, "trust_ratio_mask", false));
        GoldenCase c = oneStep("lars", hyper, List.of(1.0, 2.0), List.of(-1.0), List.of(0.2, -0.4), List.of(1.0),
                List.of(0.9, 2.2), List.of(-1.5));
        CaseResult r = OptimizerCases.check(c);
        assertEquals(CaseResult.Status.PASS, r.status(), r.detail());
    }

    @Test
    void unknownArgumentIsRejectedNamingCaseAndField() {
        Map<String, Object> hyper = new HashMap<>(Map.of("learning_rate", 0.1, "beta1", 0.9));
        GoldenCase c = oneStep("lamb", hyper, List.of(1.0), List.of(1.0), List.of(1.0), List.of(1.0), List.of(1.0),
                List.of(1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerCases.check(c));
        assertTrue(e.getMessage().contains("lamb_test") && e.getMessage().contains("hyper.beta1"), e.getMessage());
    }

    @Test
    void missingLearningRateIsRejectedWhereOptaxRequiresIt() {
        GoldenCase c = oneStep("yogi", new HashMap<>(), List.of(1.0), List.of(1.0), List.of(1.0), List.of(1.0),
                List.of(1.0), List.of(1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerCases.check(c));
        assertTrue(e.getMessage().contains("hyper.learning_rate"), e.getMessage());
    }
}
