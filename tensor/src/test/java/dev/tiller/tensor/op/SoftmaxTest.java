package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
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

/** Softmax, log-softmax and cross-entropy against definitions in double, hand goldens and finite differences. */
class SoftmaxTest {

    // ------------------------------------------------------------ double references written from the definitions

    /** softmax of each row of a (rows, n) array. */
    static double[] refSoftmax(float[] x, int rows, int n) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                m = Math.max(m, x[r * n + j]);
            }
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += Math.exp(x[r * n + j] - m);
            }
            for (int j = 0; j < n; j++) {
                y[r * n + j] = Math.exp(x[r * n + j] - m) / s;
            }
        }
        return y;
    }

    /** dx_j = sum_i dY_i J_ij with the softmax Jacobian J_ij = y_i (delta_ij - y_j). */
    static double[] refSoftmaxVjp(float[] x, float[] dY, int rows, int n) {
        double[] y = refSoftmax(x, rows, n);
        double[] dx = new double[x.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double yi = y[r * n + i];
                    s += dY[r * n + i] * yi * ((i == j ? 1 : 0) - y[r * n + j]);
                }
                dx[r * n + j] = s;
            }
        }
        return dx;
    }

    /** log-softmax Jacobian d y_i / d x_j = delta_ij - p_j, so dx_j = dY_j - p_j sum_i dY_i. */
    static double[] refLogSoftmaxVjp(float[] x, float[] dY, int rows, int n) {
        double[] p = refSoftmax(x, rows, n);
        double[] dx = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += dY[r * n + i];
            }
            for (int j = 0; j < n; j++) {
                dx[r * n + j] = dY[r * n + j] - p[r * n + j] * s;
            }
        }
        return dx;
    }

    // ------------------------------------------------------------ goldens

    @Test
    void softmaxOfLogsOfOneTwoThreeIsSixths() {
        // exp(x) = (1, 2, 3), sum 6: softmax = (1/6, 2/6, 3/6); log-softmax = ln(k/6). Adding 1000 changes nothing
        // (and would overflow exp without the max shift).
        float[] x = {0f, (float) Math.log(2), (float) Math.log(3)};
        float[] shifted = {1000f, 1000f + (float) Math.log(2), 1000f + (float) Math.log(3)};
        float[] y = Softmax.softmax(Tensor.of(x, 1, 3), -1).toFloatArray();
        assertClose(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, y, 0, 4 * U, "softmax");
        float[] ls = Softmax.logSoftmax(Tensor.of(x, 3), 0).toFloatArray();
        assertClose(new double[] {Math.log(1 / 6.0), Math.log(2 / 6.0), Math.log(3 / 6.0)}, ls, 0, 8 * U,
                "logSoftmax");
        float[] ys = Softmax.softmax(Tensor.of(shifted, 3), 0).toFloatArray();
        // 1000 + ln 2 rounds in float (ulp(1000) = 2^-14), so only the 1/6 entry is compared tightly
        assertEquals(1 / 6.0, ys[0], 1e-3);
        assertTrue(Math.abs(ys[0] + ys[1] + ys[2] - 1) < 4 * U);
    }

    @Test
    void softmaxBackwardOfUniformRowIsCentredUpstream() {
        // y = (1/4, ..., 1/4): dx = y (dY - mean(dY)) = (dY - 2.5) / 4 for dY = (1, 2, 3, 4)
        Tensor y = Tensor.full(0.25f, 4);
        float[] dx = Softmax.softmaxBackward(y, Tensor.of(new float[] {1, 2, 3, 4}, 4), 0).toFloatArray();
        assertArrayEquals(new float[] {-0.375f, -0.125f, 0.125f, 0.375f}, dx);
    }

    // ------------------------------------------------------------ random shapes against the reference

    @Test
    void softmaxMatchesDoubleReferenceOnAnyDim() {
        qt().withFixedSeed(41L).withExamples(80)
                .forAll(integers().between(0, 20), integers().between(1, 70), integers().between(0, 1), longs().all())
                .checkAssert((rows, n, lastDim, seed) -> {
                    float[] x = uniform(seed, rows * n, -5f, 5f);
                    double[] ref = refSoftmax(x, rows, n);
                    // relative error: row sum n u, exp 1 ulp + u |x - max| (<= 10 u), 1/sum and product 2 u,
                    // final rounding u
                    double rtol = (n + 16) * U;
                    float[] y;
                    if (lastDim == 1) {
                        y = Softmax.softmax(Tensor.of(x, rows, n), 1).toFloatArray();
                    } else {   // the same rows stored as columns: softmax over dim 0 of the transposed layout
                        Tensor xt = Tensor.of(x, rows, n).t().contiguous();
                        y = Softmax.softmax(xt, 0).t().contiguous().toFloatArray();
                    }
                    assertClose(ref, y, 1e-45, rtol, "softmax rows=" + rows + " n=" + n + " last=" + lastDim);
                    float[] ls = Softmax.logSoftmax(Tensor.of(x, rows, n), -1).toFloatArray();
                    double[] refLog = new double[ref.length];
                    for (int i = 0; i < ref.length; i++) {
                        refLog[i] = Math.log(ref[i]);
                    }
                    // absolute: |x - max| u + log(sum) error (n + 12) u + rounding of |y|: 2 u |y|
                    assertClose(refLog, ls, (n + 22) * U, 2 * U, "logSoftmax rows=" + rows + " n=" + n);
                });
    }

    @Test
    void softmaxOfNonContiguousInputMatchesContiguous() {
        Tensor x = TestData.uniform(5, -2f, 2f, 6, 5, 4);
        Tensor view = x.permute(2, 0, 1);                         // (4, 6, 5), strided
        float[] a = Softmax.softmax(view, 1).toFloatArray();
        float[] b = Softmax.softmax(view.contiguous(), 1).toFloatArray();
        assertArrayEquals(b, a);
        assertArrayEquals(new int[] {4, 6, 5}, Softmax.softmax(view, 1).shape());
    }

    // ------------------------------------------------------------ gradients

    @Test
    void softmaxBackwardMatchesFiniteDifferencesAndReference() {
        int rows = 2;
        int n = 19;                                   // crosses 8- and 16-lane vectors and leaves a tail
        float[] x = uniform(11, rows * n, -2f, 2f);
        float[] r = uniform(12, rows * n, -1f, 1f);
        float[] dx = Softmax.softmaxBackward(Softmax.softmax(Tensor.of(x, rows, n), 1), Tensor.of(r, rows, n), 1)
                .toFloatArray();
        // FD step 1e-2 on O(1) inputs: truncation h^2/6 |L'''| <= ~2e-5; float noise u * sum|y r| / h <= 2e-5
        double[] fd = finiteDiff(x, v -> Softmax.softmax(Tensor.of(v, rows, n), 1).toFloatArray(), r, 1e-2f);
        assertClose(fd, dx, 1e-4, 1e-3, "softmax FD");
        // against the analytic Jacobian in double: float rounding of y, the row dot and 3 ops, about (n + 4) u
        assertClose(refSoftmaxVjp(x, r, rows, n), dx, 2 * (n + 4) * U, 0, "softmax analytic");
    }

    @Test
    void logSoftmaxBackwardMatchesFiniteDifferencesAndReference() {
        int rows = 2;
        int n = 21;
        float[] x = uniform(21, rows * n, -2f, 2f);
        float[] r = uniform(22, rows * n, -1f, 1f);
        // along dim 0 of the transposed layout, to exercise the permute path of the backward too
        Tensor xt = Tensor.of(x, rows, n).t();
        Tensor rt = Tensor.of(r, rows, n).t();
        float[] dx = Softmax.logSoftmaxBackward(Softmax.logSoftmax(xt, 0), rt, 0).t().contiguous().toFloatArray();
        // log-softmax values are O(log n): float noise u * sum|y r| / h ~ 1e-4, truncation ~2e-5
        double[] fd = finiteDiff(x, v -> Softmax.logSoftmax(Tensor.of(v, rows, n), 1).toFloatArray(), r, 1e-2f);
        assertClose(fd, dx, 5e-4, 1e-3, "logSoftmax FD");
        assertClose(refLogSoftmaxVjp(x, r, rows, n), dx, 4 * (n + 4) * U, 0, "logSoftmax analytic");
    }

    // ------------------------------------------------------------ cross-entropy

    @Test
    void crossEntropyGoldenWithAndWithoutLabelSmoothing() {
        // p = softmax(0, ln 2, ln 3) = (1/6, 1/3, 1/2), target 2: loss = -ln(1/2) = ln 2.
        // eps = 0.3, C = 3: q = (0.1, 0.1, 0.8); loss = -(0.1 ln(1/6) + 0.1 ln(1/3) + 0.8 ln(1/2))
        // dLogits = (p - q) / N = (1/6 - 0.1, 1/3 - 0.1, 1/2 - 0.8) = (1/15, 7/30, -0.3)
        Tensor logits = Tensor.of(new float[] {0f, (float) Math.log(2), (float) Math.log(3)}, 1, 3);
        Tensor target = Tensor.ofLongs(new long[] {2}, 1);
        Softmax.CrossEntropyResult plain = Softmax.crossEntropy(logits, target);
        assertEquals(Math.log(2), plain.loss().item(), 4e-7);
        Softmax.CrossEntropyResult smooth = Softmax.crossEntropy(logits, target, 0.3f, -100);
        double expected = -(0.1 * Math.log(1 / 6.0) + 0.1 * Math.log(1 / 3.0) + 0.8 * Math.log(0.5));
        assertEquals(expected, smooth.loss().item(), 4e-7);
        float[] d = Softmax.crossEntropyBackward(logits, target, smooth, 1f).toFloatArray();
        assertClose(new double[] {1 / 15.0, 7 / 30.0, -0.3}, d, 4e-8, 0, "crossEntropy grad");
    }

    /** Reference loss in double: mean over kept rows of -sum_c q_c log p_c. */
    static double refCrossEntropy(float[] x, long[] t, int rows, int c, double eps, long ignore) {
        double[] p = refSoftmax(x, rows, c);
        double total = 0;
        int count = 0;
        for (int r = 0; r < rows; r++) {
            if (t[r] == ignore) {
                continue;
            }
            count++;
            for (int j = 0; j < c; j++) {
                double q = (j == t[r] ? 1 - eps : 0) + eps / c;
                total -= q * Math.log(p[r * c + j]);
            }
        }
        return total / count;
    }

    @Test
    void crossEntropyMatchesReferenceAndFiniteDifferences() {
        qt().withFixedSeed(43L).withExamples(40)
                .forAll(integers().between(1, 12), integers().between(1, 40), integers().between(0, 2), longs().all())
                .checkAssert((rows, c, mode, seed) -> {
                    float[] x = uniform(seed, rows * c, -3f, 3f);
                    long[] t = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        t[r] = (seed >>> (r % 32) & 0xffff) % c;
                        if (mode == 2 && r % 3 == 1) {
                            t[r] = -100;                      // ignored rows
                        }
                    }
                    if (mode == 2) {
                        t[0] = 0;                             // at least one kept row
                    }
                    float eps = mode == 0 ? 0f : 0.1f;
                    Tensor logits = Tensor.of(x, rows, c);
                    Tensor targets = Tensor.ofLongs(t, rows);
                    Softmax.CrossEntropyResult res = Softmax.crossEntropy(logits, targets, eps, -100);
                    double ref = refCrossEntropy(x, t, rows, c, eps, -100);
                    // per row: lse rounded to float and the row sums: about (c + 8) u * (|lse| + max|x|)
                    assertEquals(ref, res.loss().item(), (c + 8) * U * 10 + U * Math.abs(ref),
                            "loss rows=" + rows + " c=" + c + " mode=" + mode);
                    float[] d = Softmax.crossEntropyBackward(logits, targets, res, 1f).toFloatArray();
                    // analytic reference: (p - q) / count for kept rows
                    double[] p = refSoftmax(x, rows, c);
                    double[] refD = new double[x.length];
                    int count = 0;
                    for (long v : t) {
                        count += v == -100 ? 0 : 1;
                    }
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < c && t[r] != -100; j++) {
                            double q = (j == t[r] ? 1 - eps : 0) + eps / c;
                            refD[r * c + j] = (p[r * c + j] - q) / count;
                        }
                    }
                    // exp(x - lse) with lse rounded (u |lse| <= 4e-7 relative) and the scale: about 16 u relative
                    assertClose(refD, d, 1e-8, 32 * U + 1e-6, "dLogits rows=" + rows + " c=" + c);
                    if (rows * c <= 40) {
                        double[] fd = finiteDiff(x, v -> new float[] {Softmax.crossEntropy(Tensor.of(v, rows, c),
                                targets, eps, -100).loss().item()}, new float[] {1f}, 1e-2f);
                        // the loss is one float: noise u |loss| / h ~ 2e-5; truncation ~1e-5
                        assertClose(fd, d, 1e-4, 1e-3, "crossEntropy FD rows=" + rows + " c=" + c);
                    }
                });
    }

    @Test
    void ignoredRowsAreExcludedFromTheMean() {
        float[] x = uniform(51, 4 * 5, -2f, 2f);
        Tensor all = Tensor.of(x, 4, 5);
        Softmax.CrossEntropyResult withIgnored = Softmax.crossEntropy(all, Tensor.ofInts(new int[] {1, -1, 3, -1}, 4),
                0.2f, -1);
        // the kept rows 0 and 2 on their own
        float[] kept = new float[10];
        System.arraycopy(x, 0, kept, 0, 5);
        System.arraycopy(x, 10, kept, 5, 5);
        Softmax.CrossEntropyResult only = Softmax.crossEntropy(Tensor.of(kept, 2, 5),
                Tensor.ofInts(new int[] {1, 3}, 2), 0.2f, -1);
        assertEquals(2, withIgnored.count());
        assertEquals(only.loss().item(), withIgnored.loss().item());
        float[] d = Softmax.crossEntropyBackward(all, Tensor.ofInts(new int[] {1, -1, 3, -1}, 4), withIgnored, 1f)
                .toFloatArray();
        for (int j = 0; j < 5; j++) {
            assertEquals(0f, d[5 + j]);
            assertEquals(0f, d[15 + j]);
        }
        Softmax.CrossEntropyResult none = Softmax.crossEntropy(all, Tensor.ofInts(new int[] {-1, -1, -1, -1}, 4), 0f,
                -1);
        assertTrue(Float.isNaN(none.loss().item()), "every row ignored: 0/0 as in PyTorch");
    }

    @Test
    void outOfRangeTargetNamesPositionValueAndClassCount() {
        Tensor logits = Tensor.zeros(3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Softmax.crossEntropy(logits, Tensor.ofInts(new int[] {0, 4, 1}, 3)));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("target 4 at position 1")
                && e.getMessage().contains("4 classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Softmax.crossEntropy(logits, Tensor.ofLongs(new long[] {0, 1, -3}, 3)));
        assertTrue(e.getMessage().contains("target -3 at position 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Softmax.crossEntropy(logits, Tensor.ofInts(new int[] {0, 1}, 2)));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("(3, 4)")
                && e.getMessage().contains("(2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.crossEntropy(logits, Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("i32 or i64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Softmax.crossEntropy(logits, Tensor.ofInts(new int[] {0, 1, 2}, 3), 1.5f, -100));
        assertTrue(e.getMessage().contains("labelSmoothing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(Tensor.zeros(DType.I32, 3), 0));
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("f32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Softmax.softmaxBackward(Tensor.zeros(2, 3), Tensor.zeros(3, 2), 1));
        assertTrue(e.getMessage().contains("softmaxBackward") && e.getMessage().contains("(2, 3)"), e.getMessage());
    }

    @Test
    void resultsAreBitwiseIdenticalForOneTwoAndFourThreads() {
        int rows = 300;
        int c = 97;                                  // 300 * 97 floats: several parallel chunks
        Tensor x = TestData.uniform(61, -4f, 4f, rows, c);
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) {
            t[r] = (r * 31) % c;
        }
        Tensor targets = Tensor.ofInts(t, rows);
        float[][] base = null;
        for (int threads : new int[] {1, 2, 4}) {
            float[][] got = withThreads(threads, () -> {
                Tensor y = Softmax.softmax(x, 1);
                Tensor ls = Softmax.logSoftmax(x, 0);
                Softmax.CrossEntropyResult ce = Softmax.crossEntropy(x, targets, 0.1f, -100);
                return new float[][] {y.toFloatArray(), Softmax.softmaxBackward(y, x, 1).toFloatArray(),
                    Softmax.logSoftmaxBackward(ls, x, 0).toFloatArray(), {ce.loss().item()},
                    Softmax.crossEntropyBackward(x, targets, ce, 1f).toFloatArray()};
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
