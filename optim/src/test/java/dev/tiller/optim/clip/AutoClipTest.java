package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AutoClip: percentile of the norm history, both forms, on hand traces. */
class AutoClipTest {
    private static ClipReport step(AutoClip a, AutoClipHyper h, float g, float[] out) {
        List<ParamRef> ps = Grads.of(new float[] {g});
        ClipReport r = a.clip(ps, h);
        out[0] = ps.get(0).grad().toFloatArray()[0];
        return r;
    }

    @Test
    void paperFormIncludesTheCurrentNormBeforeTakingTheMedian() {
        AutoClip a = new AutoClip();
        AutoClipHyper h = AutoClipHyper.paper(50f);
        float[] out = new float[1];
        // history [1]: median 1, g = 1 -> clip_grad_norm_(1) multiplies by 1 / (1 + 1e-6) (PyTorch's formula)
        ClipReport r = step(a, h, 1f, out);
        assertEquals(1.0, r.threshold());
        assertEquals(1f * (1f / (1f + 1e-6f)), out[0]);
        // history [1, 3]: median 2 -> 3 * 2 / (3 + 1e-6)
        r = step(a, h, 3f, out);
        assertEquals(2.0, r.threshold());
        assertEquals(3f * (2f / (3f + 1e-6f)), out[0]);
        // history [1, 3, 0.5]: median 1 -> 0.5 unchanged
        step(a, h, 0.5f, out);
        assertEquals(0.5f, out[0]);
        assertArrayEquals(new double[] {1, 3, 0.5}, a.history());
    }

    @Test
    void percentileInterpolatesLinearlyLikeNumpy() {
        // numpy.percentile([1, 2, 3, 4, 5], 90) = position 0.9 * 4 = 3.6 -> 4 + 0.6 * (5 - 4) = 4.6
        AutoClip a = new AutoClip();
        a.loadHistory(new double[] {5, 1, 4, 2});
        float[] out = new float[1];
        ClipReport r = step(a, AutoClipHyper.paper(90f), 3f, out);
        assertEquals(4.6, r.threshold(), 1e-12);
        assertFalse(r.clipped());
        // p = 0 and p = 100 are the min and max
        AutoClip b = new AutoClip();
        b.loadHistory(new double[] {5, 1, 4, 2});
        assertEquals(1.0, step(b, AutoClipHyper.paper(0f), 3f, out).threshold());
    }

    @Test
    void quantileClipUsesEarlierNormsAndABoundedHistory() {
        AutoClip a = new AutoClip();
        AutoClipHyper h = AutoClipHyper.quantileClip(0.5f, 2);
        float[] out = new float[1];
        // empty history: threshold +inf, no clipping
        ClipReport r = step(a, h, 100f, out);
        assertEquals(Double.POSITIVE_INFINITY, r.threshold());
        assertEquals(100f, out[0]);
        step(a, h, 2f, out);                               // history [100] -> clip at 100: 2 unchanged
        assertEquals(2f, out[0]);
        r = step(a, h, 4f, out);                           // history [100, 2] -> median 51: unchanged
        assertEquals(51.0, r.threshold(), 1e-12);
        r = step(a, h, 10f, out);                          // history [2, 4] (100 dropped) -> median 3
        assertEquals(3.0, r.threshold(), 1e-12);
        assertEquals(10f * (3f / (10f + 1e-6f)), out[0]);
        assertArrayEquals(new double[] {4, 10}, a.history());   // pre-clip norm appended, length 2
    }

    @Test
    void spikeInASteadyTraceIsClipped() {
        AutoClip a = new AutoClip();
        AutoClipHyper h = AutoClipHyper.paper(10f);
        float[] out = new float[1];
        for (int t = 0; t < 50; t++) {
            step(a, h, 1f + 0.01f * (t % 5), out);
        }
        ClipReport r = step(a, h, 40f, out);
        assertTrue(r.clipped());
        assertTrue(out[0] < 1.05f, "spike clipped to " + out[0]);
    }

    @Test
    void nonFiniteNormIsNotRecorded() {
        AutoClip a = new AutoClip();
        float[] out = new float[1];
        step(a, AutoClipHyper.paper(50f), 2f, out);
        List<ParamRef> ps = Grads.of(new float[] {Float.POSITIVE_INFINITY});
        ClipReport r = a.clip(ps, AutoClipHyper.paper(50f));
        assertFalse(r.finite());
        assertEquals(Float.POSITIVE_INFINITY, ps.get(0).grad().toFloatArray()[0]);
        assertArrayEquals(new double[] {2}, a.history());
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AutoClipHyper.paper(101f));
        assertEquals("AutoClip: percentile = 101.0 is not allowed; allowed range [0, 100], finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AutoClip().loadHistory(new double[] {-1}));
    }
}
