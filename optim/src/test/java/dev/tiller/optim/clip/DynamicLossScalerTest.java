package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GradScaler's update rule on a hand trace, unscaling, visible skips, state round trip. */
class DynamicLossScalerTest {
    private static LossScaleStep iteration(DynamicLossScaler s, boolean inf, int[] optimizerSteps) {
        ParamRef p = Grads.param("w", new float[] {s.scale() * 0.5f, inf ? Float.NaN : -s.scale()});
        return s.step(List.of(p), () -> optimizerSteps[0]++);
    }

    @Test
    void skipGrowBackoffSequenceOnAHandTrace() {
        // init 8, growth 2, backoff 0.25, interval 2. Trace (inf?) and the rule:
        //  t0 ok   tracker 1                 scale 8
        //  t1 ok   tracker 2 == 2 -> grow    scale 16, tracker 0
        //  t2 inf  backoff                   scale 4,  tracker 0, skipped
        //  t3 ok   tracker 1                 scale 4
        //  t4 inf  backoff (tracker reset)   scale 1,  skipped
        //  t5 ok   tracker 1                 scale 1
        //  t6 ok   grow                      scale 2
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(8f, 2.0, 0.25, 2));
        boolean[] inf = {false, false, true, false, true, false, false};
        float[] after = {8f, 16f, 4f, 4f, 1f, 1f, 2f};
        int[] ran = {0};
        for (int t = 0; t < inf.length; t++) {
            int before = ran[0];
            LossScaleStep r = iteration(s, inf[t], ran);
            assertEquals(inf[t], r.foundInf(), "t" + t);
            assertEquals(inf[t], r.stepSkipped(), "t" + t);
            assertEquals(inf[t] ? before : before + 1, ran[0], "optimizer ran on t" + t);
            assertEquals(after[t], r.scaleAfter(), "t" + t);
        }
        assertEquals(2, s.skippedSteps());
        assertEquals(7, s.steps());
        assertEquals(0, s.growthTracker());
    }

    @Test
    void unscaleDividesByTheScaleBeforeTheOptimizerSees() {
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(1024f, 2.0, 0.5, 2000));
        ParamRef p = Grads.param("w", new float[] {2048f, -512f, 0f});
        float[][] seen = new float[1][];
        LossScaleStep r = s.step(List.of(p), () -> seen[0] = p.grad().toFloatArray());
        assertArrayEquals(new float[] {2f, -0.5f, 0f}, seen[0]);
        assertEquals(1024f, r.scaleUsed());
        assertEquals(1024f * 3f, s.scaleLoss(3f));
    }

    @Test
    void explicitUnscaleThenStepDoesNotUnscaleTwice() {
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(4f, 2.0, 0.5, 10));
        ParamRef p = Grads.param("w", new float[] {8f});
        assertFalse(s.unscale(List.of(p)));
        assertThrows(IllegalStateException.class, () -> s.unscale(List.of(p)));
        s.step(List.of(p), () -> { });
        assertArrayEquals(new float[] {2f}, p.grad().toFloatArray());
    }

    @Test
    void infInAnyTensorIsFound() {
        DynamicLossScaler s = new DynamicLossScaler(LossScaleHyper.defaults());
        ParamRef a = Grads.param("a", new float[] {1f, 2f});
        ParamRef b = Grads.param("b", new float[] {3f, Float.NEGATIVE_INFINITY});
        int[] ran = {0};
        LossScaleStep r = s.step(List.of(a, b), () -> ran[0]++);
        assertTrue(r.stepSkipped());
        assertEquals(0, ran[0]);
        assertEquals(32768f, r.scaleAfter());
        assertEquals(1, r.skippedSteps());
    }

    @Test
    void factorProductIsFormedInDoubleThenRoundedAsPyTorchsKernel() {
        // PyTorch: float scale * double backoff, rounded to float32. 3 * 0.3 (double) = 0.8999999999999999 -> 0.9f,
        // whereas 3f * 0.3f in float32 would give 0.90000004f.
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(3f, 2.0, 0.3, 5));
        LossScaleStep r = iteration(s, true, new int[1]);
        assertEquals((float) (3.0 * 0.3), r.scaleAfter());
        assertTrue(r.scaleAfter() != 3f * 0.3f);
    }

    @Test
    void growthThatOverflowsIsNotApplied() {
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(3e38f, 2.0, 0.5, 1));
        LossScaleStep r = iteration(s, false, new int[1]);
        assertEquals(3e38f, r.scaleAfter());
        assertEquals(0, s.growthTracker());
    }

    @Test
    void saveLoadMidRunThenContinueEqualsUninterrupted() {
        LossScaleHyper h = new LossScaleHyper(64f, 2.0, 0.5, 3);
        boolean[] trace = {false, false, true, false, false, false, false, true, true, false, false};
        DynamicLossScaler a = new DynamicLossScaler(h);
        float[] scalesA = new float[trace.length];
        for (int t = 0; t < trace.length; t++) {
            scalesA[t] = iteration(a, trace[t], new int[1]).scaleAfter();
        }
        DynamicLossScaler b = new DynamicLossScaler(h);
        float[] scalesB = new float[trace.length];
        for (int t = 0; t < 5; t++) {
            scalesB[t] = iteration(b, trace[t], new int[1]).scaleAfter();
        }
        DynamicLossScaler c = new DynamicLossScaler(h);
        c.loadState(b.state());
        for (int t = 5; t < trace.length; t++) {
            scalesB[t] = iteration(c, trace[t], new int[1]).scaleAfter();
        }
        assertArrayEquals(scalesA, scalesB);
        assertEquals(a.state(), c.state());
    }

    @Test
    void validationNamesTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LossScaleHyper(1f, 1.0, 0.5, 1));
        assertEquals("GradScaler: growthFactor = 1.0 is not allowed; allowed range (1, +inf), finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LossScaleHyper(Float.POSITIVE_INFINITY, 2.0, 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> new LossScaleHyper(1f, 2.0, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LossScaleHyper(1f, 2.0, 0.5, 0));
        DynamicLossScaler s = new DynamicLossScaler(new LossScaleHyper(1f, 2.0, 0.5, 3));
        assertThrows(IllegalArgumentException.class, () -> s.loadState(new DynamicLossScaler.State(1f, 3, 0, 0)));
    }
}
