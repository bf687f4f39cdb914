package dev.tiller.conform.optim;

import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.GoldenFile;
import dev.tiller.conform.ShippedCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of the shipped optimizers.json passes through the golden runner over all its steps: the PyTorch
 * classes (PyTorch 2.11), the Optax functions (Optax 0.2.8) and Shampoo (a float64 NumPy reference). Also the
 * factories' argument handling: masks as booleans or per-tensor lists, and unknown arguments rejected naming case
 * and field.
 */
class OptimizerGoldenTest {
    /** The optimizers the shipped file covers, by the name the case gives (the reference library's spelling). */
    private static final Set<String> COVERED = Set.of("SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Adagrad",
            "RMSprop", "Adadelta", "Adafactor", "Muon", "Shampoo", "lion", "lamb", "lars", "adabelief", "yogi", "adan",
            "novograd", "schedule_free_adamw", "prodigy");

    @TestFactory
    List<DynamicTest> everyShippedOptimizerCasePasses() throws IOException {
        return ShippedCases.everyCase("optimizers.json", 28, OptimizerCases::check);
    }

    @Test
    void theShippedCasesCoverEveryReferenceOptimizerPastItsFirstStep() throws IOException {
        Set<String> seen = new TreeSet<>();
        for (GoldenCase c : GoldenFile.shipped("optimizers.json")) {
            seen.add(c.string("optimizer"));
            assertTrue(c.list("grads").size() > 1, c.name() + " checks only one step");
        }
        assertEquals(new TreeSet<>(COVERED), seen);
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
