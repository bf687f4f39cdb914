package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ZClip on synthetic norm traces: warm-up statistics, spike thresholds, EMA updates, state round trip. */
class ZClipTest {
    /** One parameter whose gradient is the single value g, so the global norm is |g|. */
    private static List<ParamRef> grad(float g) {
        return Grads.of(new float[] {g});
    }

    private static float clipOnce(ZClip z, ZClipHyper h, float g) {
        List<ParamRef> ps = grad(g);
        z.clip(ps, h);
        return ps.get(0).grad().toFloatArray()[0];
    }

    private static ZClipHyper small() {
        // alpha 0.5, z 2.5, no cap, eps 1e-6, 5 warm-up steps
        return new ZClipHyper(0.5, 2.5, null, 1e-6, 5, ZClipHyper.Mode.ZSCORE,
                ZClipHyper.ClipOption.ADAPTIVE_SCALING, 1.0, false);
    }

    @Test
    void warmUpSeedsPopulationStatisticsThenAdaptiveScalingClipsASpike() {
        ZClip z = new ZClip();
        ZClipHyper h = small();
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            assertEquals(g, clipOnce(z, h, g));              // no cap: warm-up never clips
        }
        // mean = 10 / 5 = 2; population var = (1 + 0 + 1 + 0 + 0) / 5 = 0.4
        assertTrue(z.initialized());
        assertEquals(2.0, z.mean(), 1e-12);
        assertEquals(0.4, z.variance(), 1e-12);

        // g = 2: z = 0, no clip; mean = 0.5*2 + 0.5*2 = 2; var = 0.5*0.4 + 0.5*(2-2)^2 = 0.2
        assertEquals(2f, clipOnce(z, h, 2f));
        assertEquals(0.2, z.variance(), 1e-9);

        // spike g = 10: std = sqrt(0.2), z = 8 / (std + 1e-6), eta = z / 2.5,
        // thr = 2 + 2.5 std / eta = 2 + 6.25 std (std + 1e-6) / 8 ~= 2.15625; grad -> 10 * thr / (10 + 1e-6)
        double std = Math.sqrt(0.2);
        double zScore = 8 / (std + 1e-6);
        double thr = 2 + 2.5 * std / (zScore / 2.5);
        assertEquals(2.15625, thr, 1e-5);
        assertEquals((float) (10 * (float) (thr / (10 + 1e-6))), clipOnce(z, h, 10f), 1e-6f);
        assertEquals(1, z.spikes());
        // the EMA takes the threshold, not the spike: mean = 0.5*2 + 0.5*thr; var = 0.5*0.2 + 0.5*(thr - mean)^2
        double mean = 0.5 * 2 + 0.5 * thr;
        assertEquals(mean, z.mean(), 1e-9);
        assertEquals(0.5 * 0.2 + 0.5 * (thr - mean) * (thr - mean), z.variance(), 1e-9);
    }

    @Test
    void warmUpAppliesPlainClippingToMaxGradNorm() {
        ZClip z = new ZClip();
        ZClipHyper h = small().withMaxGradNorm(1.5);
        // g = 2 > 1.5: PyTorch clip_grad_norm_ multiplier 1.5 / (2 + 1e-6)
        assertEquals(2f * (1.5f / (2f + 1e-6f)), clipOnce(z, h, 2f));
        assertFalse(z.initialized());
    }

    @Test
    void capAppliesAfterWarmUpEvenWithoutASpike() {
        ZClip z = new ZClip();
        ZClipHyper h = small().withMaxGradNorm(2.5);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(z, h, g);
        }
        // mean 2, var 0.4; g = 2.6: z = 0.6 / 0.632 < 2.5, no spike; c = min(2.6, 2.5) -> 2.6 * 2.5 / (2.6 + 1e-6)
        assertEquals((float) (2.6f * (float) (2.5 / (2.6f + 1e-6))), clipOnce(z, h, 2.6f), 1e-6f);
        assertEquals(0, z.spikes());
    }

    @Test
    void defaultsClipALargeSpikeNearTheMeanAndLeaveSteadyNormsAlone() {
        ZClip z = new ZClip();
        ZClipHyper h = ZClipHyper.defaults().withMaxGradNorm(null);
        assertEquals(25, h.warmupSteps());
        assertEquals(0.97, h.alpha());
        assertEquals(2.5, h.zThresh());
        for (int t = 0; t < 25; t++) {
            clipOnce(z, h, t % 2 == 0 ? 0.9f : 1.1f);         // mean 1.0 - 0.2/25, std ~0.1
        }
        assertTrue(z.initialized());
        assertEquals(1.1f, clipOnce(z, h, 1.1f));            // z ~ 1.1 < 2.5: untouched
        float out = clipOnce(z, h, 50f);
        // thr = mean + 2.5 std / (z / 2.5) with z ~ 490: a hair above the mean
        assertTrue(out > 0.99f && out < 1.01f, "spike clipped to " + out);
    }

    @Test
    void meanOptionAndPercentileMode() {
        ZClip z = new ZClip();
        ZClipHyper mean = small().withMode(ZClipHyper.Mode.ZSCORE, ZClipHyper.ClipOption.MEAN);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(z, mean, g);
        }
        // spike 10 -> clipped to the mean 2: 10 * 2 / (10 + 1e-6)
        assertEquals((float) (10 * (float) (2 / (10 + 1e-6))), clipOnce(z, mean, 10f), 1e-6f);

        ZClip p = new ZClip();
        ZClipHyper pct = small().withMode(ZClipHyper.Mode.PERCENTILE, ZClipHyper.ClipOption.ADAPTIVE_SCALING);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(p, pct, g);
        }
        // threshold mean + 2.5 std = 2 + 2.5 sqrt(0.4) ~= 3.5811; g = 3.5 is below, g = 5 is clipped to it
        assertEquals(3.5f, clipOnce(p, pct, 3.5f));
    }

    @Test
    void percentileModeClipsAboveMeanPlusZStd() {
        ZClip p = new ZClip();
        ZClipHyper pct = small().withMode(ZClipHyper.Mode.PERCENTILE, ZClipHyper.ClipOption.ADAPTIVE_SCALING);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(p, pct, g);
        }
        double thr = 2 + 2.5 * Math.sqrt(0.4);
        assertEquals((float) (5 * (float) (thr / (5 + 1e-6))), clipOnce(p, pct, 5f), 1e-6f);
    }

    @Test
    void skipUpdateOnSpikeFreezesStatistics() {
        ZClip z = new ZClip();
        ZClipHyper h = small().withSkipUpdateOnSpike(true);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(z, h, g);
        }
        clipOnce(z, h, 100f);
        assertEquals(2.0, z.mean(), 1e-12);
        assertEquals(0.4, z.variance(), 1e-12);
    }

    @Test
    void nonFiniteNormChangesNeitherGradientsNorStatistics() {
        ZClip z = new ZClip();
        ZClipHyper h = small().withMaxGradNorm(1.0);
        for (float g : new float[] {1f, 2f, 3f, 2f, 2f}) {
            clipOnce(z, h, g);
        }
        ZClip.State before = z.state();
        List<ParamRef> ps = Grads.of(new float[] {Float.NaN, 5f});
        ClipReport r = z.clip(ps, h);
        assertFalse(r.finite());
        assertArrayEquals(new float[] {Float.NaN, 5f}, ps.get(0).grad().toFloatArray());
        assertEquals(before.mean(), z.mean());
        assertEquals(before.var(), z.variance());
        assertEquals(before.steps(), z.steps());
    }

    @Test
    void saveLoadMidRunThenContinueEqualsUninterrupted() {
        float[] trace = {1f, 1.2f, 0.8f, 1.1f, 0.9f, 1f, 7f, 1.05f, 0.95f, 12f, 1f};
        ZClipHyper h = small();
        ZClip a = new ZClip();
        float[] outA = new float[trace.length];
        for (int t = 0; t < trace.length; t++) {
            outA[t] = clipOnce(a, h, trace[t]);
        }
        for (int cut : new int[] {3, 5, 8}) {          // inside warm-up, at its end, after it
            ZClip b = new ZClip();
            float[] outB = new float[trace.length];
            for (int t = 0; t < cut; t++) {
                outB[t] = clipOnce(b, h, trace[t]);
            }
            ZClip c = new ZClip();
            c.loadState(b.state());
            for (int t = cut; t < trace.length; t++) {
                outB[t] = clipOnce(c, h, trace[t]);
            }
            assertArrayEquals(outA, outB, "cut at " + cut);
            assertEquals(a.mean(), c.mean());
            assertEquals(a.variance(), c.variance());
        }
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZClipHyper.defaults().withAlpha(1.0));
        assertEquals("ZClip: alpha = 1.0 is not allowed; allowed range [0, 1), finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ZClipHyper.defaults().withZThresh(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> ZClipHyper.defaults().withWarmupSteps(-1));
        assertThrows(IllegalArgumentException.class, () -> new ZClip().loadState(
                new ZClip.State(new double[0], true, Double.NaN, 0, 0, 0)));
    }
}
