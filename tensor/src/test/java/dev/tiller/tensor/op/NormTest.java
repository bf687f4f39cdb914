package dev.tiller.tensor.op;

import dev.tiller.tensor.TestData;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.tiller.tensor.op.RowOpSupport.U;
import static dev.tiller.tensor.op.RowOpSupport.assertClose;
import static dev.tiller.tensor.op.RowOpSupport.finiteDiff;
import static dev.tiller.tensor.op.RowOpSupport.uniform;
import static dev.tiller.tensor.op.RowOpSupport.withThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Layer, RMS and batch norm against definitions in double, hand goldens and finite differences. */
class NormTest {
    private static final float EPS = 1e-5f;

    // ------------------------------------------------------------ double references from the definitions

    /** Layer norm of (rows, n): returns {out, xhat, rstd per row}. */
    static double[][] refLayerNorm(float[] x, float[] w, float[] b, int rows, int n, double eps) {
        double[] out = new double[x.length];
        double[] xh = new double[x.length];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double mu = 0;
            for (int j = 0; j < n; j++) {
                mu += x[r * n + j];
            }
            mu /= n;
            double var = 0;
            for (int j = 0; j < n; j++) {
                var += (x[r * n + j] - mu) * (x[r * n + j] - mu);
            }
            rstd[r] = 1 / Math.sqrt(var / n + eps);
            for (int j = 0; j < n; j++) {
                xh[r * n + j] = (x[r * n + j] - mu) * rstd[r];
                out[r * n + j] = xh[r * n + j] * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
            }
        }
        return new double[][] {out, xh, rstd};
    }

    /**
     * Layer norm input gradient from the Jacobian of xhat: d xhat_i / d x_j = rstd (delta_ij - 1/n - xhat_i xhat_j
     * / n), so dx_j = sum_i dOut_i w_i d xhat_i / d x_j.
     */
    static double[] refLayerNormDx(float[] x, float[] w, float[] dOut, int rows, int n, double eps) {
        double[][] f = refLayerNorm(x, w, null, rows, n, eps);
        double[] dx = new double[x.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double jac = f[2][r] * ((i == j ? 1 : 0) - 1.0 / n - f[1][r * n + i] * f[1][r * n + j] / n);
                    s += dOut[r * n + i] * (w == null ? 1 : w[i]) * jac;
                }
                dx[r * n + j] = s;
            }
        }
        return dx;
    }

    // ------------------------------------------------------------ layer norm

    @Test
    void layerNormGolden() {
        // x = (1, 2, 3, 4): mean 2.5, biased var 1.25; eps = 0: xhat = (x - 2.5) / sqrt(1.25) = (-3, -1, 1, 3) /
        // sqrt(5); with w = 2, b = 1: out = 1 + 2 xhat
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4);
        Norm.LayerNormResult res = Norm.layerNorm(x, Tensor.full(2f, 4), Tensor.ones(4), 0f);
        double s5 = Math.sqrt(5);
        assertClose(new double[] {1 - 6 / s5, 1 - 2 / s5, 1 + 2 / s5, 1 + 6 / s5}, res.out().toFloatArray(), 0,
                4 * U, "out");
        assertEquals(2.5f, res.mean().item());
        assertEquals(1 / Math.sqrt(1.25), res.rstd().item(), 2 * U);
        assertArrayEquals(new int[] {1}, res.mean().shape());
    }

    @Test
    void layerNormMatchesDoubleReference() {
        qt().withFixedSeed(71L).withExamples(80)
                .forAll(integers().between(0, 20), integers().between(1, 70), integers().between(0, 1), longs().all())
                .checkAssert((rows, n, affine, seed) -> {
                    float[] x = uniform(seed, rows * n, -2f, 3f);
                    float[] w = affine == 1 ? uniform(seed + 1, n, 0.5f, 1.5f) : null;
                    float[] b = affine == 1 ? uniform(seed + 2, n, -1f, 1f) : null;
                    Norm.LayerNormResult res = Norm.layerNorm(Tensor.of(x, rows, n),
                            w == null ? null : Tensor.of(w, n), b == null ? null : Tensor.of(b, n), EPS);
                    double[][] ref = refLayerNorm(x, w, b, rows, n, EPS);
                    float[] out = res.out().toFloatArray();
                    float[] rstd = res.rstd().toFloatArray();
                    for (int r = 0; r < rows; r++) {
                        // mean error (n + 2) u max|x| <= (n + 2) 3u, scaled by rstd; rstd relative (n + 8) u
                        double rs = ref[2][r];
                        assertEquals(rs, rstd[r], (n + 9) * U * rs + rs * rs * rs * Math.pow((n + 2) * 3 * U, 2));
                        for (int j = 0; j < n; j++) {
                            int i = r * n + j;
                            double wj = w == null ? 1 : w[j];
                            double bound = Math.abs(wj) * (rs * (n + 2) * 3 * U + Math.abs(ref[1][i]) * (n + 12) * U)
                                    + 2 * U * Math.abs(ref[0][i]);
                            assertEquals(ref[0][i], out[i], bound, "rows=" + rows + " n=" + n + " i=" + i);
                        }
                    }
                });
    }

    @Test
    void layerNormBackwardMatchesFiniteDifferencesAndReference() {
        int rows = 2;
        int n = 19;                                   // crosses 8- and 16-lane vectors and leaves a tail
        float[] x = uniform(81, rows * n, -2f, 2f);
        float[] w = uniform(82, n, 0.5f, 1.5f);
        float[] b = uniform(83, n, -1f, 1f);
        float[] r = uniform(84, rows * n, -1f, 1f);
        Tensor xt = Tensor.of(x, rows, n);
        Norm.LayerNormResult res = Norm.layerNorm(xt, Tensor.of(w, n), Tensor.of(b, n), EPS);
        Norm.LayerNormGrads g = Norm.layerNormBackward(Tensor.of(r, rows, n), xt, res.mean(), res.rstd(),
                Tensor.of(w, n));
        // h = 1e-2 on O(1) inputs; normalisation has curvature ~rstd^3 ~ 1: truncation ~1e-4, noise ~u n / h ~ 1e-5
        double[] fdX = finiteDiff(x, v -> Norm.layerNorm(Tensor.of(v, rows, n), Tensor.of(w, n), Tensor.of(b, n),
                EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdX, g.dX().toFloatArray(), 5e-4, 2e-3, "layerNorm dX FD");
        double[] fdW = finiteDiff(w, v -> Norm.layerNorm(Tensor.of(x, rows, n), Tensor.of(v, n), Tensor.of(b, n),
                EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdW, g.dW().toFloatArray(), 2e-4, 1e-3, "layerNorm dW FD (linear in w)");
        double[] fdB = finiteDiff(b, v -> Norm.layerNorm(Tensor.of(x, rows, n), Tensor.of(w, n), Tensor.of(v, n),
                EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdB, g.dB().toFloatArray(), 2e-4, 1e-3, "layerNorm dB FD (linear in b)");
        // against the Jacobian in double: float stats and two float passes over n, about (n + 8) u * rstd * sum|g|
        assertClose(refLayerNormDx(x, w, r, rows, n, EPS), g.dX().toFloatArray(), 8 * (n + 8) * U, 0,
                "layerNorm dX analytic");
        double[][] ref = refLayerNorm(x, w, b, rows, n, EPS);
        double[] dW = new double[n];
        double[] dB = new double[n];
        for (int i = 0; i < rows * n; i++) {
            dW[i % n] += r[i] * ref[1][i];
            dB[i % n] += r[i];
        }
        assertClose(dW, g.dW().toFloatArray(), 4 * (rows + 8) * U, 0, "layerNorm dW analytic");
        assertClose(dB, g.dB().toFloatArray(), 2 * (rows + 1) * U, 0, "layerNorm dB analytic");
    }

    // ------------------------------------------------------------ RMS norm

    @Test
    void rmsNormGoldenAndReference() {
        // x = (3, 4): mean(x^2) = 12.5; eps = 0: out = x / sqrt(12.5) * w with w = (1, 0.5)
        Norm.RmsNormResult res = Norm.rmsNorm(Tensor.of(new float[] {3, 4}, 2), Tensor.of(new float[] {1, 0.5f}, 2),
                0f);
        double s = Math.sqrt(12.5);
        assertClose(new double[] {3 / s, 2 / s}, res.out().toFloatArray(), 0, 4 * U, "rms golden");
        assertEquals(1 / s, res.rrms().item(), 2 * U);
        qt().withFixedSeed(73L).withExamples(60)
                .forAll(integers().between(0, 20), integers().between(1, 70), longs().all())
                .checkAssert((rows, n, seed) -> {
                    float[] x = uniform(seed, rows * n, -2f, 2f);
                    float[] w = uniform(seed + 1, n, -1.5f, 1.5f);
                    float[] out = Norm.rmsNorm(Tensor.of(x, rows, n), Tensor.of(w, n), EPS).out().toFloatArray();
                    double[] ref = new double[x.length];
                    for (int r = 0; r < rows; r++) {
                        double ss = 0;
                        for (int j = 0; j < n; j++) {
                            ss += (double) x[r * n + j] * x[r * n + j];
                        }
                        double rr = 1 / Math.sqrt(ss / n + EPS);
                        for (int j = 0; j < n; j++) {
                            ref[r * n + j] = x[r * n + j] * rr * w[j];
                        }
                    }
                    // sum of squares (n + 1) u, halved by the sqrt, plus 4 rounded ops
                    assertClose(ref, out, 1e-38, ((n + 1) / 2.0 + 6) * U, "rmsNorm rows=" + rows + " n=" + n);
                });
    }

    @Test
    void rmsNormBackwardMatchesFiniteDifferencesAndReference() {
        int rows = 2;
        int n = 21;
        float[] x = uniform(91, rows * n, -2f, 2f);
        float[] w = uniform(92, n, 0.5f, 1.5f);
        float[] r = uniform(93, rows * n, -1f, 1f);
        Tensor xt = Tensor.of(x, rows, n);
        Norm.RmsNormResult res = Norm.rmsNorm(xt, Tensor.of(w, n), EPS);
        Norm.RmsNormGrads g = Norm.rmsNormBackward(Tensor.of(r, rows, n), xt, res.rrms(), Tensor.of(w, n));
        double[] fdX = finiteDiff(x, v -> Norm.rmsNorm(Tensor.of(v, rows, n), Tensor.of(w, n), EPS).out()
                .toFloatArray(), r, 1e-2f);
        assertClose(fdX, g.dX().toFloatArray(), 5e-4, 2e-3, "rmsNorm dX FD");
        double[] fdW = finiteDiff(w, v -> Norm.rmsNorm(Tensor.of(x, rows, n), Tensor.of(v, n), EPS).out()
                .toFloatArray(), r, 1e-2f);
        assertClose(fdW, g.dW().toFloatArray(), 2e-4, 1e-3, "rmsNorm dW FD");
        // Jacobian: d(x_i rr)/d x_j = rr delta_ij - x_i rr^3 x_j / n
        double[] dx = new double[x.length];
        double[] dW = new double[n];
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int j = 0; j < n; j++) {
                ss += (double) x[row * n + j] * x[row * n + j];
            }
            double rr = 1 / Math.sqrt(ss / n + EPS);
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double jac = (i == j ? rr : 0) - x[row * n + i] * rr * rr * rr * x[row * n + j] / n;
                    s += r[row * n + i] * w[i] * jac;
                }
                dx[row * n + j] = s;
                dW[j] += r[row * n + j] * x[row * n + j] * rr;
            }
        }
        assertClose(dx, g.dX().toFloatArray(), 8 * (n + 8) * U, 0, "rmsNorm dX analytic");
        assertClose(dW, g.dW().toFloatArray(), 8 * (rows + 8) * U, 0, "rmsNorm dW analytic");
    }

    // ------------------------------------------------------------ batch norm

    /** Batch norm of (N, C, H, W) with batch stats: returns {out, xhat, mean (C), biased var (C), invstd (C)}. */
    static double[][] refBatchNorm(float[] x, float[] w, float[] b, int n, int c, int hw, double eps) {
        double[] mean = new double[c];
        double[] var = new double[c];
        double[] inv = new double[c];
        double[] out = new double[x.length];
        double[] xh = new double[x.length];
        int m = n * hw;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < hw; k++) {
                    mean[ch] += x[(i * c + ch) * hw + k];
                }
            }
            mean[ch] /= m;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < hw; k++) {
                    var[ch] += Math.pow(x[(i * c + ch) * hw + k] - mean[ch], 2);
                }
            }
            var[ch] /= m;
            inv[ch] = 1 / Math.sqrt(var[ch] + eps);
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < hw; k++) {
                    int idx = (i * c + ch) * hw + k;
                    xh[idx] = (x[idx] - mean[ch]) * inv[ch];
                    out[idx] = xh[idx] * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                }
            }
        }
        return new double[][] {out, xh, mean, var, inv};
    }

    @Test
    void batchNormTrainingMatchesReferenceAndUpdatesRunningStats() {
        int n = 3;
        int c = 4;
        int h = 5;
        int wd = 6;
        float[] x = uniform(101, n * c * h * wd, -1f, 3f);
        float[] w = uniform(102, c, 0.5f, 1.5f);
        float[] b = uniform(103, c, -1f, 1f);
        Tensor runningMean = Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0f}, c);
        Tensor runningVar = Tensor.ones(c);
        float momentum = 0.1f;
        Norm.BatchNormResult res = Norm.batchNorm2d(Tensor.of(x, n, c, h, wd), Tensor.of(w, c), Tensor.of(b, c),
                runningMean, runningVar, momentum, EPS);
        double[][] ref = refBatchNorm(x, w, b, n, c, h * wd, EPS);
        int m = n * h * wd;
        // per channel sums of m = 90 values in float blocks of H*W, combined in double: about (h*w + 8) u relative
        assertClose(ref[0], res.out().toFloatArray(), (h * wd + 16) * U * 4, 0, "batchNorm out");
        assertClose(ref[2], res.mean().toFloatArray(), (h * wd + 2) * U * 3, 0, "batchNorm mean");
        assertClose(ref[4], res.invstd().toFloatArray(), 0, (h * wd + 16) * U, "batchNorm invstd");
        double[] expectMean = new double[c];
        double[] expectVar = new double[c];
        float[] oldMean = {0.1f, -0.2f, 0.3f, 0f};
        for (int ch = 0; ch < c; ch++) {
            expectMean[ch] = (1 - momentum) * oldMean[ch] + momentum * ref[2][ch];
            // PyTorch: the running variance takes the UNBIASED batch variance, var * m / (m - 1)
            expectVar[ch] = (1 - momentum) * 1.0 + momentum * ref[3][ch] * m / (m - 1);
        }
        assertClose(expectMean, runningMean.toFloatArray(), 1e-6, 0, "runningMean");
        assertClose(expectVar, runningVar.toFloatArray(), 1e-6, 0, "runningVar");
        // eval mode uses the running stats: out = (x - rm) / sqrt(rv + eps) * w + b
        Tensor xt = Tensor.of(x, n, c, h, wd);
        float[] ev = Norm.batchNorm2dEval(xt, Tensor.of(w, c), Tensor.of(b, c), runningMean, runningVar, EPS)
                .toFloatArray();
        float[] rm = runningMean.toFloatArray();
        float[] rv = runningVar.toFloatArray();
        double[] expectEval = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / (h * wd)) % c;
            expectEval[i] = (x[i] - rm[ch]) / Math.sqrt(rv[ch] + EPS) * w[ch] + b[ch];
        }
        assertClose(expectEval, ev, 8 * U * 4, 4 * U, "batchNorm eval");
    }

    @Test
    void batchNormBackwardMatchesFiniteDifferencesAndReference() {
        int n = 2;
        int c = 2;
        int h = 4;
        int wd = 5;                                   // planes of 20: vector loop plus tail
        int hw = h * wd;
        int m = n * hw;
        float[] x = uniform(111, n * c * hw, -2f, 2f);
        float[] w = uniform(112, c, 0.5f, 1.5f);
        float[] b = uniform(113, c, -1f, 1f);
        float[] r = uniform(114, n * c * hw, -1f, 1f);
        Tensor xt = Tensor.of(x, n, c, h, wd);
        Norm.BatchNormResult res = Norm.batchNorm2d(xt, Tensor.of(w, c), Tensor.of(b, c), null, null, 0.1f, EPS);
        Norm.BatchNormGrads g = Norm.batchNorm2dBackward(Tensor.of(r, n, c, h, wd), xt, res.mean(), res.invstd(),
                Tensor.of(w, c));
        double[] fdX = finiteDiff(x, v -> Norm.batchNorm2d(Tensor.of(v, n, c, h, wd), Tensor.of(w, c),
                Tensor.of(b, c), null, null, 0.1f, EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdX, g.dX().toFloatArray(), 5e-4, 2e-3, "batchNorm dX FD");
        double[] fdW = finiteDiff(w, v -> Norm.batchNorm2d(xt, Tensor.of(v, c), Tensor.of(b, c), null, null, 0.1f,
                EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdW, g.dW().toFloatArray(), 2e-4, 1e-3, "batchNorm dW FD");
        double[] fdB = finiteDiff(b, v -> Norm.batchNorm2d(xt, Tensor.of(w, c), Tensor.of(v, c), null, null, 0.1f,
                EPS).out().toFloatArray(), r, 1e-2f);
        assertClose(fdB, g.dB().toFloatArray(), 2e-4, 1e-3, "batchNorm dB FD");
        // Jacobian per channel over its m values: d xhat_i / d x_j = invstd (delta_ij - 1/m - xhat_i xhat_j / m)
        double[][] ref = refBatchNorm(x, w, b, n, c, hw, EPS);
        double[] dx = new double[x.length];
        double[] dW = new double[c];
        double[] dB = new double[c];
        for (int j = 0; j < x.length; j++) {
            int ch = (j / hw) % c;
            dW[ch] += r[j] * ref[1][j];
            dB[ch] += r[j];
            for (int i = 0; i < x.length; i++) {
                if ((i / hw) % c != ch) {
                    continue;
                }
                double jac = ref[4][ch] * ((i == j ? 1 : 0) - 1.0 / m - ref[1][i] * ref[1][j] / m);
                dx[j] += r[i] * w[ch] * jac;
            }
        }
        assertClose(dx, g.dX().toFloatArray(), 8 * (m + 8) * U, 0, "batchNorm dX analytic");
        assertClose(dW, g.dW().toFloatArray(), 4 * (m + 8) * U, 0, "batchNorm dW analytic");
        assertClose(dB, g.dB().toFloatArray(), 2 * (m + 1) * U, 0, "batchNorm dB analytic");
    }

    // ------------------------------------------------------------ bad inputs and determinism

    @Test
    void badInputsAreRejectedWithActionableMessages() {
        Tensor x = Tensor.zeros(2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Norm.layerNorm(x, Tensor.ones(3), null, EPS));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("weight: (C) = (4)")
                && e.getMessage().contains("weight=(3)") && e.getMessage().contains("(2, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.rmsNorm(x, Tensor.ones(4, 1), EPS));
        assertTrue(e.getMessage().contains("rmsNorm") && e.getMessage().contains("weight=(4, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.layerNormBackward(Tensor.zeros(2, 3), x,
                Tensor.zeros(2), Tensor.zeros(2), null));
        assertTrue(e.getMessage().contains("layerNormBackward") && e.getMessage().contains("dOut=(2, 3)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.batchNorm2d(Tensor.zeros(3, 4, 5), null, null,
                null, null, 0.1f, EPS));
        assertTrue(e.getMessage().contains("batchNorm2d") && e.getMessage().contains("unsqueeze(0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.batchNorm2d(Tensor.zeros(1, 2, 1, 1), null, null,
                null, null, 0.1f, EPS));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.batchNorm2d(Tensor.zeros(2, 3, 2, 2),
                Tensor.ones(2), null, null, null, 0.1f, EPS));
        assertTrue(e.getMessage().contains("weight: (C) = (3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norm.layerNorm(Tensor.zeros(2, 0), null, null, EPS));
        assertTrue(e.getMessage().contains("C >= 1"), e.getMessage());
    }

    @Test
    void resultsAreBitwiseIdenticalForOneTwoAndFourThreads() {
        Tensor x = TestData.uniform(121, -2f, 2f, 300, 130);       // several row chunks and column chunks
        Tensor w = TestData.uniform(122, 0.5f, 1.5f, 130);
        Tensor g = TestData.uniform(123, -1f, 1f, 300, 130);
        Tensor x4 = x.reshape(30, 10, 13, 10);
        Tensor g4 = g.reshape(30, 10, 13, 10);
        Tensor w4 = w.slice(0, 0, 10);
        float[][] base = null;
        for (int threads : new int[] {1, 2, 4}) {
            float[][] got = withThreads(threads, () -> {
                Norm.LayerNormResult ln = Norm.layerNorm(x, w, w, EPS);
                Norm.LayerNormGrads lg = Norm.layerNormBackward(g, x, ln.mean(), ln.rstd(), w);
                Norm.RmsNormResult rn = Norm.rmsNorm(x, w, EPS);
                Norm.RmsNormGrads rg = Norm.rmsNormBackward(g, x, rn.rrms(), w);
                Norm.BatchNormResult bn = Norm.batchNorm2d(x4, w4, w4, null, null, 0.1f, EPS);
                Norm.BatchNormGrads bg = Norm.batchNorm2dBackward(g4, x4, bn.mean(), bn.invstd(), w4);
                return new float[][] {ln.out().toFloatArray(), lg.dX().toFloatArray(), lg.dW().toFloatArray(),
                    lg.dB().toFloatArray(), rn.out().toFloatArray(), rg.dX().toFloatArray(), rg.dW().toFloatArray(),
                    bn.out().toFloatArray(), bg.dX().toFloatArray(), bg.dW().toFloatArray()};
            });
            if (base == null) {
                base = got;
            } else {
                for (int k = 0; k < base.length; k++) {
                    assertTrue(TestData.bitwiseEqual(base[k], got[k]), "output " + k + " differs at " + threads
                            + " threads");
                }
            }
        }
    }
}
