package dev.tiller.tensor.kernel;

import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ref.RefRows;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * SimdRows against its twin RefRows on random rows of length 0..70 (crossing every vector width and tail) at
 * misaligned offsets. Tolerances are derived per kernel from float32 rounding, u = 2^-24: a float sum of n terms is
 * off by at most about n u sum|terms|; one rounded op adds u of its result; the vector exp (SimdRows.exp, a
 * polynomial, checked below) is within 2 ulp, so 4 u relative, plus u |arg| for its rounded argument.
 */
class RowKernelTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final double U = 0x1p-24;
    private static final long SEED = 20261122L;

    private static float at(MemorySegment s, long i) {
        return s.getAtIndex(F32, i);
    }

    /** bound covers the SIMD side's error; the reference's own rounding to float (u |ref|) is added here. */
    private static void check(double simd, double ref, double kernelBound, String what) {
        double bound = kernelBound + U * Math.abs(ref);
        assertTrue(Math.abs(simd - ref) <= bound, () -> what + ": simd=" + simd + " ref=" + ref + " diff="
                + Math.abs(simd - ref) + " bound=" + bound);
    }

    /** Distance in units in the last place between two finite floats of the same sign. */
    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }

    @Test
    void vectorExpIsWithinTwoUlpAndHandlesEdges() {
        // a sweep of 200,001 arguments across the whole normal range, plus the edges: subnormal results, 0 below
        // -110 and for -infinity, +infinity from 89, NaN
        int n = 200_001;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n);
            MemorySegment a = arena.allocate(4L * n);
            MemorySegment b = arena.allocate(4L * n);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(F32, i, -87.3f + (88.7f + 87.3f) * i / (n - 1));
            }
            SimdRows.exp(x, 0, a, 0, n);
            RefRows.exp(x, 0, b, 0, n);
            long worst = 0;
            for (int i = 0; i < n; i++) {
                worst = Math.max(worst, ulps(at(a, i), at(b, i)));
            }
            assertTrue(worst <= 2, "max ulp error " + worst);
            float[] edge = {0f, -0f, -88f, -100f, Float.NEGATIVE_INFINITY, 89f, Float.POSITIVE_INFINITY, Float.NaN,
                1e-8f, -1e-8f, 1f, -1f, 0.3465736f, -120f, 88.7f, -87.33f};
            float[] expect = new float[edge.length];
            for (int i = 0; i < edge.length; i++) {
                // subnormal results (-88, -100) are compared in ulps of their bit patterns too
                expect[i] = (float) StrictMath.exp(edge[i]);
            }
            // 16 edge values fill whole vectors of 4, 8 or 16 lanes, so every one goes through the vector path
            MemorySegment e = arena.allocate(4L * edge.length);
            MemorySegment.copy(edge, 0, e, F32, 0, edge.length);
            SimdRows.exp(e, 0, e, 0, edge.length);
            for (int i = 0; i < edge.length; i++) {
                float got = at(e, i);
                boolean ok = Float.isNaN(expect[i]) ? Float.isNaN(got) : ulps(got, expect[i]) <= 2;
                assertTrue(ok, "exp(" + edge[i] + ") = " + got + ", expected " + expect[i]);
            }
        }
    }

    @Test
    void reductionsMatchReference() {
        qt().withFixedSeed(SEED).withExamples(200)
                .forAll(integers().between(0, 70), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = TestData.segment(arena, off + n, seed, -3f, 5f);
                        MemorySegment g = TestData.segment(arena, off + n, ~seed, -1f, 1f);
                        assertEquals(RefRows.max(x, off, n), SimdRows.max(x, off, n), "max n=" + n);
                        double sumAbs = 0;
                        double sq = 0;
                        double gx = 0;
                        float mean = 1.25f;
                        double maxArg = 0;
                        double sumExp = 0;
                        for (int i = 0; i < n; i++) {
                            sumAbs += Math.abs(at(x, off + i));
                            sq += Math.pow(at(x, off + i) - mean, 2);
                            gx += Math.abs(at(g, off + i) * (at(x, off + i) - mean));
                            maxArg = Math.max(maxArg, Math.abs(at(x, off + i) - mean));
                            sumExp += Math.exp(at(x, off + i) - mean);
                        }
                        String ctx = " n=" + n + " off=" + off;
                        check(SimdRows.sum(x, off, n), RefRows.sum(x, off, n), (n + 1) * U * sumAbs, "sum" + ctx);
                        check(SimdRows.sumSquaredDeviation(x, off, n, mean),
                                RefRows.sumSquaredDeviation(x, off, n, mean), (n + 4) * U * sq, "ssd" + ctx);
                        check(SimdRows.dotCentered(g, off, x, off, n, mean), RefRows.dotCentered(g, off, x, off, n,
                                mean), (n + 4) * U * gx, "dotCentered" + ctx);
                        check(SimdRows.sumExpShifted(x, off, n, mean), RefRows.sumExpShifted(x, off, n, mean),
                                (n + 5 + maxArg) * U * sumExp, "sumExpShifted" + ctx);
                    }
                });
    }

    @Test
    void elementwiseKernelsMatchReference() {
        qt().withFixedSeed(SEED + 1).withExamples(200)
                .forAll(integers().between(0, 70), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = TestData.segment(arena, off + n, seed, -3f, 3f);
                        MemorySegment g = TestData.segment(arena, off + n, ~seed, -1f, 1f);
                        MemorySegment a = arena.allocate(4L * (n + 1));
                        MemorySegment b = arena.allocate(4L * (n + 1));
                        float shift = 0.5f;
                        float scale = -0.75f;
                        float add = 0.3f;
                        String ctx = " n=" + n + " off=" + off;
                        SimdRows.expShiftScale(x, off, a, 0, n, shift, scale, add);
                        RefRows.expShiftScale(x, off, b, 0, n, shift, scale, add);
                        for (int i = 0; i < n; i++) {
                            double e = Math.exp(at(x, off + i) - shift);
                            double arg = Math.abs(at(x, off + i) - shift);
                            check(at(a, i), at(b, i), e * Math.abs(scale) * (5 + arg) * U + 2 * U * Math.abs(at(b, i))
                                    + 1e-30, "expShiftScale" + ctx);
                        }
                        SimdRows.affineCentered(x, off, a, 0, n, shift, scale, add);
                        RefRows.affineCentered(x, off, b, 0, n, shift, scale, add);
                        for (int i = 0; i < n; i++) {
                            double t = Math.abs((at(x, off + i) - shift) * scale);
                            check(at(a, i), at(b, i), 3 * U * t + 2 * U * Math.abs(at(b, i)) + 1e-30,
                                    "affineCentered" + ctx);
                        }
                        SimdRows.gradCentered(g, off, x, off, a, 0, n, scale, add, shift, -0.1f);
                        RefRows.gradCentered(g, off, x, off, b, 0, n, scale, add, shift, -0.1f);
                        for (int i = 0; i < n; i++) {
                            double t = Math.abs(at(g, off + i) * scale) + Math.abs((at(x, off + i) - shift) * add)
                                    + 0.1;
                            check(at(a, i), at(b, i), 4 * U * t + 1e-30, "gradCentered" + ctx);
                        }
                        // y += x is one float add per element in both twins: bitwise equal
                        MemorySegment.copy(g, 4L * off, a, 0, 4L * n);
                        MemorySegment.copy(g, 4L * off, b, 0, 4L * n);
                        SimdRows.addInPlace(x, off, a, 0, n);
                        RefRows.addInPlace(x, off, b, 0, n);
                        for (int i = 0; i < n; i++) {
                            assertEquals(at(b, i), at(a, i), "addInPlace" + ctx);
                        }
                    }
                });
    }

    @Test
    void softmaxRowsMatchReference() {
        qt().withFixedSeed(SEED + 2).withExamples(200)
                .forAll(integers().between(0, 70), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = TestData.segment(arena, off + n, seed, -4f, 4f);
                        MemorySegment dY = TestData.segment(arena, off + n, ~seed, -1f, 1f);
                        MemorySegment a = arena.allocate(4L * (n + 1));
                        MemorySegment b = arena.allocate(4L * (n + 1));
                        String ctx = " n=" + n + " off=" + off;
                        float scale = 0.7f;
                        float m = RefRows.max(x, off, n);
                        double maxArg = 0;
                        for (int i = 0; i < n; i++) {
                            maxArg = Math.max(maxArg, scale * (m - at(x, off + i)));
                        }
                        SimdRows.softmax(x, off, a, 0, n, scale);
                        RefRows.softmax(x, off, b, 0, n, scale);
                        for (int i = 0; i < n; i++) {
                            // sum: n u relative; exp: 2 ulp (4 u) + u |arg| (rounded x - max, then * scale); 1/sum and
                            // the product: 2 u
                            check(at(a, i), at(b, i), (n + 8 + 2 * maxArg) * U * at(b, i) + 1e-38, "softmax" + ctx);
                        }
                        // backward from the reference probabilities b
                        double dot = 0;
                        double dotAbs = 0;
                        for (int i = 0; i < n; i++) {
                            dot += at(dY, off + i) * at(b, i);
                            dotAbs += Math.abs(at(dY, off + i) * at(b, i));
                        }
                        SimdRows.softmaxBackward(b, 0, dY, off, a, 0, n, scale);
                        MemorySegment c = arena.allocate(4L * (n + 1));
                        RefRows.softmaxBackward(b, 0, dY, off, c, 0, n, scale);
                        for (int i = 0; i < n; i++) {
                            double bound = at(b, i) * scale * ((n + 2) * U * dotAbs
                                    + 4 * U * Math.abs(at(dY, off + i) - dot)) + 1e-38;
                            check(at(a, i), at(c, i), bound, "softmaxBackward" + ctx);
                        }
                        SimdRows.logSoftmax(x, off, a, 0, n);
                        RefRows.logSoftmax(x, off, b, 0, n);
                        double maxArg1 = maxArg / scale;
                        for (int i = 0; i < n; i++) {
                            check(at(a, i), at(b, i), (n + 4 + maxArg1 + 2 * Math.abs(at(b, i))) * U,
                                    "logSoftmax" + ctx);
                        }
                        double s = 0;
                        double sAbs = 0;
                        for (int i = 0; i < n; i++) {
                            s += at(dY, off + i);
                            sAbs += Math.abs(at(dY, off + i));
                        }
                        SimdRows.logSoftmaxBackward(b, 0, dY, off, a, 0, n);
                        RefRows.logSoftmaxBackward(b, 0, dY, off, c, 0, n);
                        for (int i = 0; i < n; i++) {
                            double e = Math.exp(at(b, i));
                            double bound = e * ((n + 1) * U * sAbs + 5 * U * Math.abs(s)) + U * Math.abs(at(c, i))
                                    + 1e-38;
                            check(at(a, i), at(c, i), bound, "logSoftmaxBackward" + ctx);
                        }
                    }
                });
    }

    @Test
    void normRowsMatchReference() {
        qt().withFixedSeed(SEED + 3).withExamples(200)
                .forAll(integers().between(1, 70), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = TestData.segment(arena, off + n, seed, -2f, 3f);
                        MemorySegment w = TestData.segment(arena, off + n, seed + 1, 0.5f, 1.5f);
                        MemorySegment bias = TestData.segment(arena, off + n, seed + 2, -1f, 1f);
                        MemorySegment dOut = TestData.segment(arena, off + n, seed + 3, -1f, 1f);
                        MemorySegment a = arena.allocate(4L * n);
                        MemorySegment b = arena.allocate(4L * n);
                        MemorySegment st = arena.allocate(16);
                        float eps = 1e-5f;
                        String ctx = " n=" + n + " off=" + off;
                        SimdRows.layerNorm(x, off, w, off, bias, off, a, 0, n, eps, st, 0, st, 1);
                        RefRows.layerNorm(x, off, w, off, bias, off, b, 0, n, eps, st, 2, st, 3);
                        float mu = at(st, 2);
                        float r = at(st, 3);
                        double maxAbs = 0;
                        for (int i = 0; i < n; i++) {
                            maxAbs = Math.max(maxAbs, Math.abs(at(x, off + i)));
                        }
                        // mean: (n + 2) u max|x|; rstd: (n + 8) u relative plus the variance shift of a mean off
                        // by errMean (errMean^2, times r^3 / 2)
                        double errMean = (n + 2) * U * maxAbs;
                        check(at(st, 0), mu, errMean, "layerNorm mean" + ctx);
                        double errR = (n + 8) * U * r + r * r * r * errMean * errMean;
                        check(at(st, 1), r, errR, "layerNorm rstd" + ctx);
                        for (int i = 0; i < n; i++) {
                            double d = Math.abs(at(x, off + i) - mu);
                            double bound = Math.abs(at(w, off + i)) * (d * errR + r * (errMean + 3 * U * d))
                                    + 2 * U * Math.abs(at(b, i)) + 1e-30;
                            check(at(a, i), at(b, i), bound, "layerNorm out" + ctx);
                        }
                        // backward with the reference's saved stats
                        double gAbs = 0;
                        double gxAbs = 0;
                        double gx = 0;
                        for (int i = 0; i < n; i++) {
                            double g = at(dOut, off + i) * at(w, off + i);
                            double xh = (at(x, off + i) - mu) * r;
                            gAbs += Math.abs(g);
                            gxAbs += Math.abs(g * xh);
                            gx += g * xh;
                        }
                        SimdRows.layerNormBackward(dOut, off, x, off, mu, r, w, off, a, 0, n);
                        RefRows.layerNormBackward(dOut, off, x, off, mu, r, w, off, b, 0, n);
                        for (int i = 0; i < n; i++) {
                            double g = Math.abs(at(dOut, off + i) * at(w, off + i));
                            double xh = Math.abs((at(x, off + i) - mu) * r);
                            double bound = r * ((n + 2) * U * gAbs / n + xh * (n + 4) * U * gxAbs / n
                                    + 5 * U * (g + gAbs / n + xh * Math.abs(gx) / n)) + 1e-30;
                            check(at(a, i), at(b, i), bound, "layerNormBackward" + ctx);
                        }
                        SimdRows.rmsNorm(x, off, w, off, a, 0, n, eps, st, 0);
                        RefRows.rmsNorm(x, off, w, off, b, 0, n, eps, st, 1);
                        float rr = at(st, 1);
                        check(at(st, 0), rr, ((n + 1) / 2.0 + 3) * U * rr, "rmsNorm rrms" + ctx);
                        for (int i = 0; i < n; i++) {
                            check(at(a, i), at(b, i), ((n + 1) / 2.0 + 6) * U * Math.abs(at(b, i)) + 1e-30,
                                    "rmsNorm out" + ctx);
                        }
                        double gxr = 0;
                        double gxrAbs = 0;
                        for (int i = 0; i < n; i++) {
                            double g = at(dOut, off + i) * at(w, off + i);
                            gxr += g * at(x, off + i);
                            gxrAbs += Math.abs(g * at(x, off + i));
                        }
                        SimdRows.rmsNormBackward(dOut, off, x, off, rr, w, off, a, 0, n);
                        RefRows.rmsNormBackward(dOut, off, x, off, rr, w, off, b, 0, n);
                        double r3 = (double) rr * rr * rr / n;
                        for (int i = 0; i < n; i++) {
                            double g = Math.abs(at(dOut, off + i) * at(w, off + i));
                            double bound = rr * g * 3 * U + Math.abs(at(x, off + i)) * r3 * ((n + 2) * U * gxrAbs
                                    + 6 * U * Math.abs(gxr)) + U * Math.abs(at(b, i)) + 1e-30;
                            check(at(a, i), at(b, i), bound, "rmsNormBackward" + ctx);
                        }
                    }
                });
    }

    @Test
    void paramGradColumnSumsMatchReference() {
        qt().withFixedSeed(SEED + 4).withExamples(120)
                .forAll(integers().between(0, 20), integers().between(1, 70), integers().between(0, 70), longs().all())
                .checkAssert((rows, cols, split, seed) -> {
                    int c0 = Math.min(split, cols);
                    try (Arena arena = Arena.ofConfined()) {
                        int size = rows * cols;
                        MemorySegment dOut = TestData.segment(arena, size + 3, seed, -1f, 1f);
                        MemorySegment x = TestData.segment(arena, size + 5, seed + 1, -2f, 2f);
                        MemorySegment mean = TestData.segment(arena, rows + 1, seed + 2, -0.5f, 0.5f);
                        MemorySegment rstd = TestData.segment(arena, rows + 2, seed + 3, 0.5f, 2f);
                        float[][] out = new float[4][cols];
                        MemorySegment[] seg = new MemorySegment[4];
                        for (int k = 0; k < 4; k++) {
                            seg[k] = arena.allocate(4L * cols);
                        }
                        // two column ranges [0, c0) and [c0, cols), as the op's parallel chunks would cut them
                        for (int[] range : new int[][] {{0, c0}, {c0, cols - c0}}) {
                            SimdRows.layerNormParamGrad(dOut, 3, x, 5, mean, 1, rstd, 2, rows, cols, range[0],
                                    range[1], seg[0], seg[1]);
                            RefRows.layerNormParamGrad(dOut, 3, x, 5, mean, 1, rstd, 2, rows, cols, range[0],
                                    range[1], seg[2], seg[3]);
                        }
                        for (int c = 0; c < cols; c++) {
                            double sw = 0;
                            double sb = 0;
                            for (int r = 0; r < rows; r++) {
                                double g = Math.abs(at(dOut, 3 + (long) r * cols + c));
                                sw += g * Math.abs((at(x, 5 + (long) r * cols + c) - at(mean, 1 + r))
                                        * at(rstd, 2 + r));
                                sb += g;
                            }
                            String ctx = " rows=" + rows + " cols=" + cols + " c=" + c;
                            check(at(seg[0], c), at(seg[2], c), (rows + 3) * U * sw, "layerNorm dW" + ctx);
                            check(at(seg[1], c), at(seg[3], c), (rows + 1) * U * sb, "layerNorm dB" + ctx);
                        }
                        for (int[] range : new int[][] {{0, c0}, {c0, cols - c0}}) {
                            SimdRows.rmsNormParamGrad(dOut, 3, x, 5, rstd, 2, rows, cols, range[0], range[1], seg[0]);
                            RefRows.rmsNormParamGrad(dOut, 3, x, 5, rstd, 2, rows, cols, range[0], range[1], seg[2]);
                        }
                        for (int c = 0; c < cols; c++) {
                            double sw = 0;
                            for (int r = 0; r < rows; r++) {
                                sw += Math.abs(at(dOut, 3 + (long) r * cols + c) * at(x, 5 + (long) r * cols + c)
                                        * at(rstd, 2 + r));
                            }
                            check(at(seg[0], c), at(seg[2], c), (rows + 3) * U * sw, "rmsNorm dW c=" + c);
                        }
                    }
                });
    }
}
