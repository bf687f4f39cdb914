package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Global-norm clipping against hand-derived norms and PyTorch's clip_grad_norm_ formula. */
class GlobalNormClipTest {
    // Gradients [3, -4] and [12]: L2 = sqrt(9 + 16 + 144) = 13, L1 = 3 + 4 + 12 = 19, Linf = 12,
    // L3 = (27 + 64 + 1728)^(1/3) = 1819^(1/3).
    private static List<ParamRef> sample() {
        return Grads.of(new float[] {3f, -4f}, new float[] {12f});
    }

    /** PyTorch: coef = min(1, max_norm / (total_norm + 1e-6)) in float32, grads *= coef. */
    private static float torchCoef(float maxNorm, float norm) {
        return Math.min(1f, maxNorm / (norm + 1e-6f));
    }

    @Test
    void l2NormAndCoefficientMatchPyTorchFormula() {
        List<ParamRef> ps = sample();
        ClipReport r = GlobalNormClip.l2(6.5f).clip(ps);
        assertEquals(13.0, r.norm());
        float c = torchCoef(6.5f, 13f);                 // ~0.5 - 2e-8
        assertEquals(c, (float) r.scale());
        assertTrue(r.clipped() && r.finite());
        assertArrayEquals(new float[] {3f * c, -4f * c}, ps.get(0).grad().toFloatArray());
        assertArrayEquals(new float[] {12f * c}, ps.get(1).grad().toFloatArray());
    }

    @Test
    void l1InfAndGeneralPNorms() {
        assertEquals(19.0, new GlobalNormClip(100f, 1.0, false).clip(sample()).norm());
        assertEquals(12.0, new GlobalNormClip(100f, Double.POSITIVE_INFINITY, false).clip(sample()).norm());
        double l3 = new GlobalNormClip(100f, 3.0, false).clip(sample()).norm();
        assertEquals(Math.cbrt(1819.0), l3, 1e-5 * l3);

        List<ParamRef> ps = sample();
        ClipReport inf = new GlobalNormClip(6f, Double.POSITIVE_INFINITY, false).clip(ps);
        float c = torchCoef(6f, 12f);
        assertEquals(c, (float) inf.scale());
        assertArrayEquals(new float[] {12f * c}, ps.get(1).grad().toFloatArray());
    }

    @Test
    void normBelowLimitLeavesGradientsBitwiseUnchanged() {
        List<ParamRef> ps = sample();
        float[][] before = Grads.snapshot(ps);
        ClipReport r = GlobalNormClip.l2(1e6f).clip(ps);
        assertTrue(Grads.bitwiseEqual(before, Grads.snapshot(ps)));
        assertFalse(r.clipped());
        assertEquals(1.0, r.scale());
    }

    @Test
    void normEqualToLimitIsStillScaledAsPyTorchDoes() {
        // PyTorch's 1e-6 makes max_norm / (max_norm + 1e-6) < 1, so a norm exactly at the limit is scaled a hair.
        List<ParamRef> ps = sample();
        ClipReport r = GlobalNormClip.l2(13f).clip(ps);
        assertTrue(r.clipped());
        assertEquals(torchCoef(13f, 13f), (float) r.scale());
        assertTrue(r.scale() < 1.0);
    }

    @Test
    void zeroGradientsAndZeroLimitStayZero() {
        List<ParamRef> ps = Grads.of(new float[] {0f, 0f});
        ClipReport r = GlobalNormClip.l2(0f).clip(ps);
        assertEquals(0.0, r.norm());
        assertArrayEquals(new float[] {0f, 0f}, ps.get(0).grad().toFloatArray());
        assertTrue(r.finite());
    }

    @Test
    void nonFiniteNormLeavesGradientsUntouchedAndIsReported() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (double p : new double[] {1.0, 2.0, 3.0, Double.POSITIVE_INFINITY}) {
                List<ParamRef> ps = Grads.of(new float[] {3f, bad}, new float[] {12f});
                float[][] before = Grads.snapshot(ps);
                ClipReport r = new GlobalNormClip(1f, p, false).clip(ps);
                assertFalse(r.finite(), "p=" + p + " bad=" + bad);
                assertFalse(r.clipped());
                assertFalse(Double.isFinite(r.norm()));
                assertTrue(Grads.bitwiseEqual(before, Grads.snapshot(ps)), "p=" + p + " bad=" + bad);
            }
        }
    }

    @Test
    void float32OverflowOfTheNormCountsAsNonFinite() {
        // 3e38^2 + 3e38^2 overflows float32 as PyTorch's float32 norm does; the grads are left alone.
        List<ParamRef> ps = Grads.of(new float[] {3e38f, 3e38f});
        ClipReport r = GlobalNormClip.l2(1f).clip(ps);
        assertFalse(r.finite());
        assertArrayEquals(new float[] {3e38f, 3e38f}, ps.get(0).grad().toFloatArray());
    }

    @Test
    void errorIfNonfiniteThrowsNamingTheSwitch() {
        List<ParamRef> ps = Grads.of(new float[] {Float.NaN});
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new GlobalNormClip(1f, 2.0, true).clip(ps));
        assertTrue(e.getMessage().contains("errorIfNonfinite"), e.getMessage());
    }

    @Test
    void validationNamesHyperparameterValueAndRange() {
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> GlobalNormClip.l2(Float.NaN));
        assertEquals("clip_grad_norm: maxNorm = NaN is not allowed; allowed range [0, +inf), finite", a.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> GlobalNormClip.l2(-1f));
        assertTrue(b.getMessage().contains("maxNorm = -1.0"), b.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> new GlobalNormClip(1f, 0.0, false));
        assertTrue(c.getMessage().contains("normType = 0.0") && c.getMessage().contains("(0, +inf]"),
                c.getMessage());
    }

    @Test
    void clippedNormIsAtMostTheLimitAndDirectionIsKept() {
        qt().withFixedSeed(20261122L).withExamples(200)
                .forAll(integers().between(1, 4), integers().between(1, 70), floats().between(0.01f, 10f),
                        longs().all())
                .checkAssert((tensors, n, maxNorm, seed) -> {
                    List<ParamRef> ps = new ArrayList<>();
                    for (int i = 0; i < tensors; i++) {
                        Tensor g = Tensor.normal(seed, i, 0f, 3f, n + i);
                        ps.add(new ParamRef("p" + i, Tensor.zeros(n + i), g));
                    }
                    float[][] before = Grads.snapshot(ps);
                    ClipReport r = GlobalNormClip.l2(maxNorm).clip(ps);
                    float after = Norms.totalNorm(ps, 2.0);
                    // float32 scaling of each element adds at most ~1 ulp relative to the norm
                    assertTrue(after <= maxNorm * (1 + 1e-5), () -> "after " + after + " > max " + maxNorm);
                    float c = torchCoef(maxNorm, (float) r.norm());
                    float[][] now = Grads.snapshot(ps);
                    for (int i = 0; i < tensors; i++) {
                        for (int j = 0; j < now[i].length; j++) {
                            float want = c < 1f ? before[i][j] * c : before[i][j];
                            assertEquals(want, now[i][j]);
                        }
                    }
                });
    }

    @Test
    void totalNormIsTheNormOfPerTensorNorms() {
        // PyTorch's structure: ||[||g_0||, ||g_1||]||; for L2 that equals the flat norm up to rounding.
        List<ParamRef> ps = Grads.of(new float[] {1f, 2f, 2f}, new float[] {4f});   // norms 3 and 4 -> 5
        assertEquals(5f, Norms.totalNorm(ps, 2.0));
        assertEquals(0f, Norms.totalNorm(List.of(), 2.0));
    }
}
