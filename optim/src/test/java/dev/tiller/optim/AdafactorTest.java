package dev.tiller.optim;

import dev.tiller.tensor.Philox;
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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

class AdafactorTest {
    private static final int[][] SHAPES = {{6, 5}, {7}, {2, 3, 4}};

    private static Adafactor make(List<ParamRef> ps) {
        return new Adafactor(ps);
    }

    @Test
    void stateIsFactoredOverTheLastTwoDimsAndFullForVectors() {
        Adafactor opt = make(params(1, SHAPES));
        Map<String, Tensor> s = opt.state();
        assertArrayEquals(new int[] {6, 1}, s.get("row_var/p0").shape());
        assertArrayEquals(new int[] {1, 5}, s.get("col_var/p0").shape());
        assertArrayEquals(new int[] {7}, s.get("variance/p1").shape());
        assertArrayEquals(new int[] {2, 3, 1}, s.get("row_var/p2").shape());
        assertArrayEquals(new int[] {2, 1, 4}, s.get("col_var/p2").shape());
        assertEquals(5, s.size());
    }

    @Test
    void resumingFromSavedStateEqualsAnUninterruptedRun() {
        AdafactorHyper h = AdafactorHyper.defaults().withWeightDecay(0.01f);
        assertResumeMatches(AdafactorTest::make, SHAPES, h, h, AdafactorHyper.defaults().withWeightDecay(0.01f), 5, 6);
    }

    @Test
    void resumingWithBf16AndQ8StateEqualsAnUninterruptedRun() {
        AdafactorHyper h = AdafactorHyper.defaults();
        assertResumeMatches(ps -> new Adafactor(List.of(ParamGroup.of("g", ps)), Map.of("row_var",
                StatePrecision.BF16, "col_var", StatePrecision.Q8, "variance", StatePrecision.BF16), null, 3),
                SHAPES, h, h, h, 4, 4);
    }

    @Test
    void changingTheRecordEqualsAFreshOptimizerWithThatValue() {
        AdafactorHyper h1 = AdafactorHyper.defaults();
        AdafactorHyper h2 = h1.withLr(0.05f).withD(2f).withWeightDecay(0.1f);
        AdafactorHyper fresh = new AdafactorHyper(0.05f, -0.8f, AdafactorHyper.EPS1_DEFAULT, 1e-3f, 2f, 0.1f, false);
        assertResumeMatches(AdafactorTest::make, SHAPES, h1, h2, fresh, 4, 5);
        assertChangeMatters(AdafactorTest::make, SHAPES, h1, h2, 4, 5);
    }

    @Test
    void convergesOnAQuadraticWithMatrixParameters() {
        List<ParamRef> ps = params(3, SHAPES);
        MatrixOptimTesting.Quadratic f = new MatrixOptimTesting.Quadratic(ps, 5);
        double f0 = f.gradient(ps);
        // rho_t = min(lr, 1/sqrt(t)) already decays after t = 1/lr^2; lr = 0.1 keeps steps of about 0.1 RMS(W)
        double f1 = minimize(make(ps), ps, f, s -> AdafactorHyper.defaults().withLr(0.1f), 800);
        assertTrue(f1 < 1e-3 * f0, "f0 = " + f0 + ", f after = " + f1);
    }

    @Test
    void convergesOnRosenbrock() {
        ParamRef p = param("xy", 1, 0, 2);
        p.value().copyFrom(Tensor.of(new float[] {-1.2f, 1f}, 2));
        Adafactor opt = make(List.of(p));
        double f = 0;
        for (int s = 0; s < 6000; s++) {
            MatrixOptimTesting.rosenbrock(p);
            // the step scales with RMS(x, y) ~ 1 near the minimum and U is sign-like, so lr must fall (as 1/t) for
            // the iterate to settle on the valley floor instead of bouncing across it
            opt.step(AdafactorHyper.defaults().withLr(0.05f / (1f + s / 200f)));
        }
        f = MatrixOptimTesting.rosenbrock(p);
        float[] v = p.value().toFloatArray();
        assertTrue(f < 1e-3 && Math.abs(v[0] - 1) < 0.05 && Math.abs(v[1] - 1) < 0.1,
                "f = " + f + " at (" + v[0] + ", " + v[1] + ")");
    }

    @Test
    void zeroGradientWithoutDecayLeavesParametersUnchanged() {
        List<ParamRef> ps = params(2, SHAPES);
        List<float[]> before = MatrixOptimTesting.values(ps);
        Adafactor opt = make(ps);
        for (int s = 0; s < 3; s++) {
            opt.step(AdafactorHyper.defaults());
        }
        MatrixOptimTesting.assertBitwise("zero gradient", before, MatrixOptimTesting.values(ps));
    }

    /**
     * At t = 1, beta2_1 = 1 - 1^tau = 0, so V = G^2 exactly for a vector, and for a matrix whose |G| is an outer
     * product |G_ij| = a_i b_j the factored estimate R_i C_j / mean(R) = (a_i^2 mean(b^2)) (mean(a^2) b_j^2) /
     * (mean(a^2) mean(b^2)) is G^2 exactly too. Then U = sign(G), RMS(U) = 1 <= d, and every weight moves by
     * alpha = max(eps2, RMS(W0)) * min(lr, 1) against its gradient's sign.
     */
    @Test
    void firstStepMovesEveryWeightByAlphaAgainstTheGradientSign() {
        qt().withFixedSeed(20261122L).withExamples(60)
                .forAll(integers().between(1, 7), integers().between(1, 7), floats().between(1e-4f, 0.5f),
                        longs().all())
                .checkAssert((m, n, lr, seed) -> {
                    ParamRef w = param("w", seed, 0, m, n);
                    ParamRef v = param("v", seed, 1, n);
                    float[] g = new float[m * n];
                    float[] gv = new float[n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float a = 0.5f + Philox.uniform(seed, 2, i);
                            float b = 0.5f + Philox.uniform(seed, 3, j);
                            g[i * n + j] = (Philox.uniform(seed, 4, i * n + j) < 0.5f ? -1 : 1) * a * b;
                        }
                    }
                    for (int j = 0; j < n; j++) {
                        gv[j] = Philox.normal(seed, 5, j);
                    }
                    w.grad().copyFrom(Tensor.of(g, m, n));
                    v.grad().copyFrom(Tensor.of(gv, n));
                    float[] w0 = w.value().toFloatArray();
                    float[] v0 = v.value().toFloatArray();
                    new Adafactor(List.of(w, v)).step(AdafactorHyper.defaults().withLr(lr));
                    checkSignStep(w0, g, w.value().toFloatArray(), lr);
                    checkSignStep(v0, gv, v.value().toFloatArray(), lr);
                });
    }

    private static void checkSignStep(float[] w0, float[] g, float[] w1, float lr) {
        double sq = 0;
        for (float x : w0) {
            sq += (double) x * x;
        }
        double alpha = Math.max(1e-3, Math.sqrt(sq / w0.length)) * Math.min(lr, 1.0);
        for (int i = 0; i < w0.length; i++) {
            double want = w0[i] - alpha * Math.signum(g[i]);
            // a few float32 roundings of quantities of size |w0| and alpha
            double tol = 8 * Math.ulp((float) Math.max(Math.abs(w0[i]), alpha)) + 1e-6 * alpha;
            assertEquals(want, w1[i], tol, "element " + i);
        }
    }

    /** Update clipping: with no decay, the step's RMS is at most alpha * d for every shape and in-range record. */
    @Test
    void stepRmsNeverExceedsAlphaTimesD() {
        qt().withFixedSeed(20261123L).withExamples(80)
                .forAll(integers().between(1, 3), integers().between(1, 6), floats().between(1f, 3f), longs().all())
                .checkAssert((rank, dim, d, seed) -> {
                    int[] shape = new int[rank];
                    for (int i = 0; i < rank; i++) {
                        shape[i] = 1 + Philox.below(seed, 9, i, dim);
                    }
                    ParamRef p = param("p", seed, 0, shape);
                    float lr = 0.02f;
                    AdafactorHyper h = AdafactorHyper.defaults().withLr(lr).withD(d).withBeta2Decay(-0.5f);
                    Adafactor opt = new Adafactor(List.of(p));
                    for (int t = 1; t <= 4; t++) {
                        p.grad().copyFrom(Tensor.normal(seed, 10 + t, 0f, t, shape));
                        float[] w0 = p.value().toFloatArray();
                        opt.step(h);
                        float[] w1 = p.value().toFloatArray();
                        double sq = 0;
                        double step = 0;
                        for (int i = 0; i < w0.length; i++) {
                            sq += (double) w0[i] * w0[i];
                            step += ((double) w1[i] - w0[i]) * ((double) w1[i] - w0[i]);
                        }
                        double alpha = Math.max(1e-3, Math.sqrt(sq / w0.length)) * Math.min(lr, 1 / Math.sqrt(t));
                        double rmsStep = Math.sqrt(step / w0.length);
                        assertTrue(rmsStep <= alpha * d * (1 + 1e-5) + 1e-6 * alpha,
                                "t = " + t + ": RMS step " + rmsStep + " > alpha d = " + alpha * d);
                    }
                });
    }

    @Test
    void maximizeAscendsWhereMinimizeDescends() {
        ParamRef a = param("a", 4, 0, 3, 4);
        ParamRef b = param("b", 4, 0, 3, 4);
        Tensor g = Tensor.normal(4, 1, 0f, 1f, 3, 4);
        a.grad().copyFrom(g);
        b.grad().copyFrom(g);
        float[] w0 = a.value().toFloatArray();
        new Adafactor(List.of(a)).step(AdafactorHyper.defaults());
        new Adafactor(List.of(b)).step(AdafactorHyper.defaults().withMaximize(true));
        float[] wa = a.value().toFloatArray();
        float[] wb = b.value().toFloatArray();
        for (int i = 0; i < w0.length; i++) {
            assertEquals(wa[i] - w0[i], -(wb[i] - w0[i]), 1e-6f, "element " + i);
        }
    }

    @Test
    void invalidHyperparametersNameOptimizerFieldValueAndRange() {
        AdafactorHyper h = AdafactorHyper.defaults();
        assertRejected(() -> h.withLr(Float.NaN), "Adafactor", "lr", "NaN", "[0, +inf)");
        assertRejected(() -> h.withLr(-1f), "Adafactor", "lr", "-1.0");
        assertRejected(() -> h.withEps(Float.POSITIVE_INFINITY, 1e-3f), "Adafactor", "eps1", "Infinity");
        assertRejected(() -> h.withEps(1e-30f, -1f), "Adafactor", "eps2", "-1.0", "[0, +inf)");
        assertRejected(() -> h.withBeta2Decay(0.5f), "Adafactor", "beta2Decay", "0.5", "(-inf, 0]");
        assertRejected(() -> h.withD(0.5f), "Adafactor", "d", "0.5", "[1, +inf]");
        assertRejected(() -> h.withWeightDecay(Float.NaN), "Adafactor", "weightDecay", "NaN");
    }
}
