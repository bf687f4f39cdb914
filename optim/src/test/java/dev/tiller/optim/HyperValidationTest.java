package dev.tiller.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The records reject non-finite and out-of-range values at construction, and the message names the optimizer, the
 * hyperparameter, the value and the allowed range.
 */
class HyperValidationTest {
    private static void rejects(Executable build, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void nanLearningRateIsRejectedByEveryRecord() {
        float nan = Float.NaN;
        rejects(() -> AdamHyper.defaults().withLr(nan), "Adam: lr = NaN", "[0, +inf)");
        rejects(() -> AdamWHyper.defaults().withLr(nan), "AdamW: lr = NaN", "[0, +inf)");
        rejects(() -> NAdamHyper.defaults().withLr(nan), "NAdam: lr = NaN");
        rejects(() -> RAdamHyper.defaults().withLr(nan), "RAdam: lr = NaN");
        rejects(() -> AdamaxHyper.defaults().withLr(nan), "Adamax: lr = NaN");
        rejects(() -> AdagradHyper.defaults().withLr(nan), "Adagrad: lr = NaN");
        rejects(() -> RMSpropHyper.defaults().withLr(nan), "RMSprop: lr = NaN");
        rejects(() -> AdadeltaHyper.defaults().withLr(nan), "Adadelta: lr = NaN");
    }

    @Test
    void infiniteEpsIsRejected() {
        float inf = Float.POSITIVE_INFINITY;
        rejects(() -> AdamHyper.defaults().withEps(inf), "Adam: eps = Infinity", "[0, +inf), finite");
        rejects(() -> AdamWHyper.defaults().withEps(inf), "AdamW: eps = Infinity");
        rejects(() -> new NAdamHyper(1e-3f, 0.9f, 0.999f, inf, 0f, 4e-3f, false, false), "NAdam: eps = Infinity");
        rejects(() -> new RAdamHyper(1e-3f, 0.9f, 0.999f, inf, 0f, false, false), "RAdam: eps = Infinity");
        rejects(() -> new AdamaxHyper(1e-3f, 0.9f, 0.999f, inf, 0f, false), "Adamax: eps = Infinity");
        rejects(() -> new AdagradHyper(1e-2f, 0f, 0f, inf, false), "Adagrad: eps = Infinity");
        rejects(() -> new RMSpropHyper(1e-2f, 0.99f, inf, 0f, 0f, false, false), "RMSprop: eps = Infinity");
        rejects(() -> new AdadeltaHyper(1f, 0.9f, inf, 0f, false), "Adadelta: eps = Infinity");
    }

    @Test
    void outOfRangeBetasAndDecaysAreRejectedWithTheirRange() {
        rejects(() -> AdamHyper.defaults().withBetas(1f, 0.999f), "Adam: beta1 = 1.0", "[0, 1)");
        rejects(() -> AdamWHyper.defaults().withBetas(0.9f, -0.1f), "AdamW: beta2 = -0.1", "[0, 1)");
        rejects(() -> new NAdamHyper(1e-3f, 0.9f, 1.5f, 1e-8f, 0f, 4e-3f, false, false), "NAdam: beta2 = 1.5");
        rejects(() -> NAdamHyper.defaults().withMomentumDecay(-1f), "NAdam: momentumDecay = -1.0");
        rejects(() -> new RAdamHyper(1e-3f, -0.5f, 0.999f, 1e-8f, 0f, false, false), "RAdam: beta1 = -0.5");
        rejects(() -> new AdamaxHyper(1e-3f, 0.9f, 1f, 1e-8f, 0f, false), "Adamax: beta2 = 1.0");
        rejects(() -> AdagradHyper.defaults().withLrDecay(-0.1f), "Adagrad: lrDecay = -0.1");
        rejects(() -> RMSpropHyper.defaults().withAlpha(1.5f), "RMSprop: alpha = 1.5", "[0, 1]");
        rejects(() -> RMSpropHyper.defaults().withMomentum(1f), "RMSprop: momentum = 1.0", "[0, 1)");
        rejects(() -> AdadeltaHyper.defaults().withRho(-0.1f), "Adadelta: rho = -0.1", "[0, 1]");
        rejects(() -> AdamWHyper.defaults().withWeightDecay(-1e-2f), "AdamW: weightDecay = -0.01");
        rejects(() -> new Adagrad(List.of(), Map.of(), null, 0, -1f), "Adagrad: initialAccumulatorValue");
    }

    @Test
    void amsgradWithoutItsStateNamesTheFix() {
        List<ParamRef> ps = OptimTestSupport.params(1, new int[] {3});
        Adam adam = new Adam(ps);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> adam.step(AdamHyper.defaults().withAmsgrad(true)));
        assertTrue(e.getMessage().contains("construct the optimizer with Amsgrad.WITH_MAX_STATE"), e.getMessage());
    }

    @Test
    void defaultsArePyTorchs() {
        assertEquals(new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, false, false), AdamWHyper.defaults());
        assertEquals(new AdagradHyper(1e-2f, 0f, 0f, 1e-10f, false), AdagradHyper.defaults());
        assertEquals(new AdadeltaHyper(1f, 0.9f, 1e-6f, 0f, false), AdadeltaHyper.defaults());
        assertEquals(2e-3f, NAdamHyper.defaults().lr());
        assertEquals(4e-3f, NAdamHyper.defaults().momentumDecay());
        assertEquals(2e-3f, AdamaxHyper.defaults().lr());
        assertEquals(0.99f, RMSpropHyper.defaults().alpha());
    }
}
