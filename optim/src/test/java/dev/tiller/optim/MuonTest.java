package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.tiller.optim.MatrixOptimTesting.assertChangeMatters;
import static dev.tiller.optim.MatrixOptimTesting.assertRejected;
import static dev.tiller.optim.MatrixOptimTesting.assertResumeMatches;
import static dev.tiller.optim.MatrixOptimTesting.minimize;
import static dev.tiller.optim.MatrixOptimTesting.param;
import static dev.tiller.optim.MatrixOptimTesting.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

class MuonTest {
    private static final int[][] SHAPES = {{6, 5}, {4, 8}};

    private static Muon make(List<ParamRef> ps) {
        return new Muon(ps);
    }

    @Test
    void resumingFromSavedStateEqualsAnUninterruptedRun() {
        MuonHyper h = MuonHyper.defaults().withLr(0.02f);
        assertResumeMatches(MuonTest::make, SHAPES, h, h, MuonHyper.defaults().withLr(0.02f), 5, 6);
    }

    @Test
    void resumingWithBf16MomentumEqualsAnUninterruptedRun() {
        MuonHyper h = MuonHyper.defaults().withLr(0.02f);
        assertResumeMatches(ps -> new Muon(List.of(ParamGroup.of("g", ps)),
                Map.of("momentum_buffer", StatePrecision.BF16), null, 5), SHAPES, h, h, h, 4, 4);
    }

    @Test
    void changingTheRecordEqualsAFreshOptimizerWithThatValue() {
        MuonHyper h1 = MuonHyper.defaults().withLr(0.02f);
        MuonHyper h2 = h1.withMomentum(0.8f, false).withAdjustLr(MuonHyper.AdjustLr.MATCH_RMS_ADAMW).withLr(0.01f);
        MuonHyper fresh = new MuonHyper(0.01f, 0.1f, 0.8f, false, 3.4445f, -4.775f, 2.0315f, 1e-7f, 5,
                MuonHyper.AdjustLr.MATCH_RMS_ADAMW);
        assertResumeMatches(MuonTest::make, SHAPES, h1, h2, fresh, 4, 5);
        assertChangeMatters(MuonTest::make, SHAPES, h1, h2, 4, 5);
    }

    @Test
    void convergesOnAQuadraticWithMatrixParameters() {
        List<ParamRef> ps = params(3, SHAPES);
        MatrixOptimTesting.Quadratic f = new MatrixOptimTesting.Quadratic(ps, 5);
        double f0 = f.gradient(ps);
        // the orthogonalised step has a fixed size, so lr decays for the iterate to settle at the minimum
        double f1 = minimize(make(ps), ps, f,
                s -> MuonHyper.defaults().withWeightDecay(0f).withLr(0.05f / (1f + s / 50f)), 600);
        assertTrue(f1 < 1e-3 * f0, "f0 = " + f0 + ", f after = " + f1);
    }

    @Test
    void zeroGradientWithoutDecayLeavesParametersUnchanged() {
        List<ParamRef> ps = params(2, SHAPES);
        List<float[]> before = MatrixOptimTesting.values(ps);
        Muon opt = make(ps);
        for (int s = 0; s < 3; s++) {
            opt.step(MuonHyper.defaults().withWeightDecay(0f));
        }
        MatrixOptimTesting.assertBitwise("zero gradient", before, MatrixOptimTesting.values(ps));
    }

    /**
     * Momentum and Nesterov only rescale the gradient at step 1 (B = (1 - mu) g), and Newton-Schulz divides by
     * the Frobenius norm, so with no decay the first step is -lr * adjust(A, B) * NS(g) whatever mu and nesterov
     * are: compare with NewtonSchulz applied to g directly.
     */
    @Test
    void firstStepIsTheOrthogonalisedGradientScaledByTheAdjustedLr() {
        qt().withFixedSeed(20261124L).withExamples(40)
                .forAll(integers().between(1, 9), integers().between(1, 9), floats().between(0f, 0.99f), longs().all())
                .checkAssert((m, n, mu, seed) -> {
                    boolean nesterov = (seed & 1) != 0;
                    boolean rms = (seed & 2) != 0;
                    ParamRef p = param("w", seed, 0, m, n);
                    Tensor g = Tensor.normal(seed, 1, 0f, 1f, m, n);
                    p.grad().copyFrom(g);
                    float[] w0 = p.value().toFloatArray();
                    MuonHyper.AdjustLr adj = rms ? MuonHyper.AdjustLr.MATCH_RMS_ADAMW : MuonHyper.AdjustLr.ORIGINAL;
                    float lr = 0.01f;
                    new Muon(List.of(p)).step(MuonHyper.defaults().withWeightDecay(0f).withLr(lr)
                            .withMomentum(mu, nesterov && mu > 0).withAdjustLr(adj));
                    Tensor o = Tensor.zeros(m, n);
                    new NewtonSchulz(m, n).orthogonalize(g.segment(), g.offset(), o.segment(), o.offset(), 3.4445f,
                            -4.775f, 2.0315f, 5, 1e-7f);
                    float[] want = o.toFloatArray();
                    float[] w1 = p.value().toFloatArray();
                    double ratio = rms ? 0.2 * Math.sqrt(Math.max(m, n)) : Math.sqrt(Math.max(1.0, (double) m / n));
                    for (int i = 0; i < want.length; i++) {
                        double step = w1[i] - w0[i];
                        // NS of (1 - mu) g vs g differ only by float32 rounding in the normalisation and
                        // iteration (|O| <= ~1.2); w0 + step rounds once more at |w0|
                        double tol = 1e-4 * lr * ratio + 2 * Math.ulp(Math.abs(w0[i]));
                        assertEquals(-lr * ratio * want[i], step, tol, "element " + i);
                    }
                });
    }

    @Test
    void nonMatrixParametersAreRejectedWithAHint() {
        assertRejected(() -> new Muon(List.of(param("bias", 1, 0, 5))), "Muon", "bias", "2-D", "AdamW");
        assertRejected(() -> new Muon(List.of(param("conv", 1, 0, 2, 3, 3, 3))), "Muon", "conv", "2-D");
    }

    @Test
    void invalidHyperparametersNameOptimizerFieldValueAndRange() {
        MuonHyper h = MuonHyper.defaults();
        assertRejected(() -> h.withLr(Float.NaN), "Muon", "lr", "NaN", "[0, +inf)");
        assertRejected(() -> h.withWeightDecay(-0.1f), "Muon", "weightDecay", "-0.1");
        assertRejected(() -> h.withMomentum(1.5f, true), "Muon", "momentum", "1.5", "[0, 1]");
        assertRejected(() -> h.withEps(Float.POSITIVE_INFINITY), "Muon", "eps", "Infinity");
        assertRejected(() -> h.withNewtonSchulz(Float.NaN, -4.775f, 2.0315f, 5), "Muon", "nsA", "NaN");
        assertRejected(() -> h.withNewtonSchulz(3.4445f, -4.775f, 2.0315f, 100), "Muon", "nsSteps", "100", "[0, 99]");
        assertRejected(() -> h.withNewtonSchulz(3.4445f, -4.775f, 2.0315f, -1), "Muon", "nsSteps", "-1");
        assertThrows(IllegalArgumentException.class, () -> h.withAdjustLr(null));
    }
}
