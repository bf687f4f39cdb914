package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
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

class ShampooTest {
    private static final int[][] SHAPES = {{6, 5}, {7}, {2, 3, 4}};

    @Test
    void statisticsStartAtEpsIdentityWithTheSliceShapes() {
        Shampoo opt = new Shampoo(params(1, SHAPES), ShampooHyper.of(0.1f).withExponent(0f));
        Map<String, Tensor> s = opt.state();
        assertArrayEquals(new int[] {6, 6}, s.get("statistic_0/p0").shape());
        assertArrayEquals(new int[] {5, 5}, s.get("preconditioner_1/p0").shape());
        assertArrayEquals(new int[] {7}, s.get("statistic/p1").shape());
        assertArrayEquals(new int[] {4, 4}, s.get("statistic_2/p2").shape());
        assertEquals(4 + 2 + 6, s.size());
        float[] l = s.get("statistic_0/p0").toFloatArray();
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(i == j ? 1e-4f : 0f, l[i * 6 + j]);
            }
        }
        for (float v : s.get("statistic/p1").toFloatArray()) {
            assertEquals(1e-4f, v);
        }
    }

    @Test
    void resumingFromSavedStateEqualsAnUninterruptedRun() {
        ShampooHyper h = ShampooHyper.of(0.05f);
        assertResumeMatches(ps -> new Shampoo(ps, h), SHAPES, h, h, ShampooHyper.of(0.05f), 5, 6);
        // between root refreshes (steps 1, 4, 7, ...), the cached roots must come back from the saved state
        ShampooHyper every3 = h.withUpdateFreq(3);
        assertResumeMatches(ps -> new Shampoo(ps, every3), SHAPES, every3, every3, every3, 5, 6);
    }

    @Test
    void changingTheRecordEqualsAFreshOptimizerWithThatValue() {
        ShampooHyper h1 = ShampooHyper.of(0.05f);
        ShampooHyper h2 = h1.withLr(0.02f).withUpdateFreq(2).withExponent(0.3f);
        ShampooHyper fresh = new ShampooHyper(0.02f, 1e-4f, 2, 0.3f);
        assertResumeMatches(ps -> new Shampoo(ps, h1), SHAPES, h1, h2, fresh, 4, 5);
        assertChangeMatters(ps -> new Shampoo(ps, h1), SHAPES, h1, h2, 4, 5);
    }

    @Test
    void convergesOnAQuadraticWithMatrixParameters() {
        List<ParamRef> ps = params(3, SHAPES);
        MatrixOptimTesting.Quadratic f = new MatrixOptimTesting.Quadratic(ps, 5);
        double f0 = f.gradient(ps);
        ShampooHyper h = ShampooHyper.of(0.5f);
        double f1 = minimize(new Shampoo(ps, h), ps, f, s -> h, 400);
        assertTrue(f1 < 1e-3 * f0, "f0 = " + f0 + ", f after = " + f1);
    }

    @Test
    void convergesOnRosenbrock() {
        ParamRef p = param("xy", 1, 0, 2);
        p.value().copyFrom(Tensor.of(new float[] {-1.2f, 1f}, 2));
        ShampooHyper h = ShampooHyper.of(0.5f);
        Shampoo opt = new Shampoo(List.of(p), h);
        for (int s = 0; s < 4000; s++) {
            MatrixOptimTesting.rosenbrock(p);
            opt.step(h);
        }
        double f = MatrixOptimTesting.rosenbrock(p);
        float[] v = p.value().toFloatArray();
        assertTrue(f < 1e-3 && Math.abs(v[0] - 1) < 0.05, "f = " + f + " at (" + v[0] + ", " + v[1] + ")");
    }

    @Test
    void zeroGradientLeavesParametersUnchanged() {
        List<ParamRef> ps = params(2, SHAPES);
        List<float[]> before = MatrixOptimTesting.values(ps);
        Shampoo opt = new Shampoo(ps, ShampooHyper.of(0.1f));
        for (int s = 0; s < 3; s++) {
            opt.step(ShampooHyper.of(0.1f));
        }
        MatrixOptimTesting.assertBitwise("zero gradient", before, MatrixOptimTesting.values(ps));
    }

    /**
     * Step 1 with G = U S V^T: L = eps I + U S^2 U^T, R = eps I + V S^2 V^T, so
     * L^(-1/4) G R^(-1/4) = U diag(s / sqrt(eps + s^2)) V^T: the step's singular values are lr s / sqrt(eps + s^2),
     * each below lr. For a vector, h = eps + g^2 and the step is -lr g / sqrt(eps + g^2) element by element.
     */
    @Test
    void firstStepHasSingularValuesLrSOverSqrtEpsPlusSSquared() {
        qt().withFixedSeed(20261128L).withExamples(50)
                .forAll(integers().between(1, 8), integers().between(1, 8), floats().between(1e-4f, 1f), longs().all())
                .checkAssert((m, n, eps, seed) -> {
                    ParamRef w = param("w", seed, 0, m, n);
                    ParamRef v = param("v", seed, 1, n);
                    Tensor g = Tensor.normal(seed, 2, 0f, 1f, m, n);
                    Tensor gv = Tensor.normal(seed, 3, 0f, 1f, n);
                    w.grad().copyFrom(g);
                    v.grad().copyFrom(gv);
                    float[] w0 = w.value().toFloatArray();
                    float[] v0 = v.value().toFloatArray();
                    float lr = 0.1f;
                    ShampooHyper h = new ShampooHyper(lr, eps, 1, ShampooHyper.ORDER_RULE);
                    new Shampoo(List.of(w, v), h).step(h);
                    float[] w1 = w.value().toFloatArray();
                    float[] step = new float[w0.length];
                    for (int i = 0; i < step.length; i++) {
                        step[i] = (w0[i] - w1[i]) / lr;
                    }
                    double[] got = NewtonSchulzTest.singularValues(step, m, n);
                    double[] s = NewtonSchulzTest.singularValues(g.toFloatArray(), m, n);
                    double fro2 = 0;
                    for (double si : s) {
                        fro2 += si * si;
                    }
                    double[] want = new double[s.length];
                    for (int i = 0; i < s.length; i++) {
                        want[i] = s[i] / Math.sqrt(eps + s[i] * s[i]);
                    }
                    Arrays.sort(want);
                    for (int i = 0; i < want.length; i++) {
                        // the step is rounded to float32 at |w| ~ 3 and divided by lr: ~1e-6 absolute. The float32
                        // statistic's eigenvalues lambda = eps + s^2 carry errors delta ~ a few u ||G||_F^2, which
                        // move s / sqrt(lambda) by at most s delta / (2 lambda^1.5) <= 0.39 delta / eps
                        double tol = 2e-5 + 4 * 0x1p-24 * (fro2 + eps) / eps;
                        assertEquals(want[i], got[i], tol, "singular value " + i);
                        assertTrue(got[i] <= 1 + 2e-5, "step norm above lr");
                    }
                    float[] gvv = gv.toFloatArray();
                    float[] v1 = v.value().toFloatArray();
                    for (int i = 0; i < n; i++) {
                        float hi = eps + gvv[i] * gvv[i];
                        double wantV = v0[i] - (double) lr * gvv[i] / Math.sqrt(hi);
                        assertEquals(wantV, v1[i], 4 * Math.ulp(Math.abs(v0[i]) + lr), "vector element " + i);
                    }
                });
    }

    @Test
    void invalidHyperparametersNameOptimizerFieldValueAndRange() {
        ShampooHyper h = ShampooHyper.of(0.1f);
        assertRejected(() -> h.withLr(Float.NaN), "Shampoo", "lr", "NaN", "[0, +inf)");
        assertRejected(() -> new ShampooHyper(0.1f, 0f, 1, 0f), "Shampoo", "eps", "0.0", "(0, +inf)");
        assertRejected(() -> new ShampooHyper(0.1f, Float.POSITIVE_INFINITY, 1, 0f), "Shampoo", "eps", "Infinity");
        assertRejected(() -> h.withUpdateFreq(0), "Shampoo", "updateFreq", "0", "[1, +inf)");
        assertRejected(() -> h.withExponent(-0.25f), "Shampoo", "exponent", "-0.25");
    }
}
