package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.PoolGeometry;
import org.junit.jupiter.api.Test;

import static dev.tiller.tensor.op.ConvReference.U;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

/**
 * Pool ops: hand-derived cases (PyTorch's ceil_mode, padding and divisor rules), the adjoint laws that tie each
 * backward pass to its forward pass, determinism across thread counts and bad-input messages. The kernels
 * themselves are checked against their twins in PoolKernelTwinTest.
 */
class PoolTest {
    private static final int[] K2 = {2, 2};
    private static final int[] ZERO = {0, 0};
    private static final int[] ONE = {1, 1};

    private static float[] arange(int from, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + i;
        }
        return v;
    }

    @Test
    void outputSizeFollowsPyTorchCeilRule() {
        // floor: (5 - 1 - 1) / 2 + 1 = 2; ceil: (5 - 1 - 1 + 1) / 2 + 1 = 3 and window 2 starts at 4 < 5: kept
        assertEquals(2, PoolGeometry.outputSize(5, 2, 2, 0, 1, false));
        assertEquals(3, PoolGeometry.outputSize(5, 2, 2, 0, 1, true));
        // H 3, k 2, s 2, p 1, ceil: (3 + 2 - 1 - 1 + 1) / 2 + 1 = 3, but window 2 would start at 2*2 - 1 = 3,
        // inside the right padding only ((3 - 1) * 2 >= 3 + 1): dropped, 2 remain
        assertEquals(2, PoolGeometry.outputSize(3, 2, 2, 1, 1, true));
        // dilation 2, k 3 (effective 5), H 7, s 1: 7 - 5 + 1 = 3
        assertEquals(3, PoolGeometry.outputSize(7, 3, 1, 0, 2, false));
    }

    /**
     * x = 0..24 as a 5x5 plane, 2x2 windows, stride 2, ceil mode: 3x3 outputs. The maximum of each window is its
     * bottom-right element: out[0][0] = max(0, 1, 5, 6) = 6 at index 6; the last column's windows hold only
     * column 4: out[0][2] = max(4, 9) = 9; the last row's only row 4: out[2][0] = max(20, 21) = 21; out[2][2] = 24.
     */
    @Test
    void maxPoolCeilModeMatchesHandDerivation() {
        Tensor x = Tensor.of(arange(0, 25), 1, 1, 5, 5);
        Pool.MaxPool2dResult r = Pool.maxPool2d(x, K2, null, ZERO, ONE, true);
        assertArrayEquals(new float[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, r.output().toFloatArray());
        assertArrayEquals(new long[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, r.indices().toLongArray());
        assertEquals(DType.I64, r.indices().dtype());
        assertArrayEquals(new float[] {6, 8, 16, 18}, Pool.maxPool2d(x, 2).output().toFloatArray());
    }

    /**
     * Padding counts as -infinity, not 0: x = -1..-9 (3x3), 2x2 windows, stride 2, padding 1 give 2x2 outputs whose
     * windows hold x[0][0]; x[0][1..2]; x[1..2][0]; x[1..2][1..2]: maxima -1, -2, -4, -5 at indices 0, 1, 3, 4.
     * Ties: a constant 2x2 plane picks its first element (index 0).
     */
    @Test
    void maxPoolPadsWithMinusInfinityAndKeepsFirstOfTies() {
        float[] neg = new float[9];
        for (int i = 0; i < 9; i++) {
            neg[i] = -(i + 1);
        }
        Pool.MaxPool2dResult r = Pool.maxPool2d(Tensor.of(neg, 1, 1, 3, 3), K2, K2, ONE, ONE, false);
        assertArrayEquals(new float[] {-1, -2, -4, -5}, r.output().toFloatArray());
        assertArrayEquals(new long[] {0, 1, 3, 4}, r.indices().toLongArray());
        Pool.MaxPool2dResult tie = Pool.maxPool2d(Tensor.full(5f, 1, 1, 2, 2), 2);
        assertArrayEquals(new long[] {0}, tie.indices().toLongArray());
    }

    /**
     * Overlapping windows: x = [1, 3, 2], 1x2 windows, stride 1: both windows pick the 3 (index 1), so with
     * dOut = [1, 1] the gradient collects both: dX = [0, 2, 0].
     */
    @Test
    void maxPoolBackwardAddsGradientsOfOverlappingWindows() {
        Tensor x = Tensor.of(new float[] {1, 3, 2}, 1, 1, 1, 3);
        Pool.MaxPool2dResult r = Pool.maxPool2d(x, new int[] {1, 2}, ONE, ZERO, ONE, false);
        assertArrayEquals(new float[] {3, 3}, r.output().toFloatArray());
        Tensor dX = Pool.maxPool2dBackward(Tensor.ones(1, 1, 1, 2), r.indices(), x.shape());
        assertArrayEquals(new float[] {0, 2, 0}, dX.toFloatArray());
    }

    /**
     * x = 1..9 (3x3), 2x2 windows, stride 2, padding 1: windows cover x[0][0]; x[0][1..2]; x[1..2][0];
     * x[1..2][1..2], sums 1, 5, 11, 28. Each window lies fully inside the padded input, so with count_include_pad
     * the divisor is 4: 0.25, 1.25, 2.75, 7; without it the divisor counts input elements: 1, 2.5, 5.5, 7.
     */
    @Test
    void avgPoolPaddingDivisorsMatchHandDerivation() {
        Tensor x = Tensor.of(arange(1, 9), 1, 1, 3, 3);
        assertArrayEquals(new float[] {0.25f, 1.25f, 2.75f, 7f},
                Pool.avgPool2d(x, K2, K2, ONE, false, true).toFloatArray());
        assertArrayEquals(new float[] {1f, 2.5f, 5.5f, 7f},
                Pool.avgPool2d(x, K2, K2, ONE, false, false).toFloatArray());
    }

    /**
     * Ceil mode clips windows to input + padding before counting, so even with count_include_pad the last
     * windows divide by what they cover: x = 1..9 (3x3), 2x2, stride 2, no padding, ceil: windows [1,2,4,5] -> 3,
     * [3,6] -> 4.5, [7,8] -> 7.5, [9] -> 9. Backward with dOut = ones spreads 1/4, 1/2, 1/2, 1 over those windows.
     */
    @Test
    void avgPoolCeilModeDividesByClippedWindow() {
        Tensor x = Tensor.of(arange(1, 9), 1, 1, 3, 3);
        assertArrayEquals(new float[] {3f, 4.5f, 7.5f, 9f},
                Pool.avgPool2d(x, K2, null, ZERO, true, true).toFloatArray());
        Tensor dX = Pool.avgPool2dBackward(Tensor.ones(1, 1, 2, 2), x.shape(), K2, null, ZERO, true, true);
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.5f, 0.25f, 0.25f, 0.5f, 0.5f, 0.5f, 1f}, dX.toFloatArray());
    }

    /**
     * Adaptive windows of 5 columns into 3: [floor(0), ceil(5/3)) = [0, 2), [floor(5/3), ceil(10/3)) = [1, 4),
     * [floor(10/3), 5) = [3, 5). On x = 1..5: 1.5, 3, 4.5. Backward of ones: 1/2 to columns 0..1, 1/3 to 1..3,
     * 1/2 to 3..4: [1/2, 5/6, 1/3, 5/6, 1/2].
     */
    @Test
    void adaptiveAvgPoolMatchesHandDerivation() {
        Tensor x = Tensor.of(arange(1, 5), 1, 1, 1, 5);
        assertArrayEquals(new float[] {1.5f, 3f, 4.5f}, Pool.adaptiveAvgPool2d(x, 1, 3).toFloatArray());
        float[] dX = Pool.adaptiveAvgPool2dBackward(Tensor.ones(1, 1, 1, 3), x.shape()).toFloatArray();
        assertArrayEquals(new float[] {0.5f, 0.5f + 1f / 3, 1f / 3, 1f / 3 + 0.5f, 0.5f}, dX, 1e-6f);
        // global average pooling (ResNet head): the mean of each plane
        Tensor y = Pool.adaptiveAvgPool2d(Tensor.of(arange(1, 8), 1, 2, 2, 2), 1, 1);
        assertArrayEquals(new float[] {2.5f, 6.5f}, y.toFloatArray());
    }

    /**
     * Adjoint laws on random geometries: the pools are linear maps (max pooling with its indices fixed), so
     * {@code <pool(x), g> = <x, poolBackward(g)>}. Both sides sum the same products; float rounding bounds the gap by
     * (k + 2) u sum |x||g| per side, with k the largest window.
     */
    @Test
    void poolBackwardPassesAreAdjointsOfForward() {
        qt().withFixedSeed(20261131L).withExamples(150)
                .forAll(integers().between(1, 12), integers().between(1, 4), integers().between(1, 3),
                        booleans().all())
                .checkAssert((h, k, s, ceil) -> {
                    int p = Math.min(k / 2, h % 3);
                    int[] kk = {k, k}, ss = {s, s}, pp = {p, p};
                    if (PoolGeometry.outputSize(h, k, s, p, 1, ceil) < 1) {
                        return;
                    }
                    Tensor x = TestData.uniform(h * 100L + k, -1f, 1f, 2, 3, h, h + 1);
                    String what = "h=" + h + " k=" + k + " s=" + s + " p=" + p + " ceil=" + ceil;

                    Tensor a = Pool.avgPool2d(x, kk, ss, pp, ceil, (h & 1) == 0);
                    Tensor ga = TestData.uniform(7 + h, -1f, 1f, a.shape());
                    Tensor da = Pool.avgPool2dBackward(ga, x.shape(), kk, ss, pp, ceil, (h & 1) == 0);
                    double tol = 2 * (k * k + 2) * U * ConvReference.dot(ConvReference.abs(x), ConvReference.abs(da))
                            + Float.MIN_NORMAL;
                    assertEquals(ConvReference.dot(a, ga), ConvReference.dot(x, da), tol, "avg " + what);

                    Pool.MaxPool2dResult m = Pool.maxPool2d(x, kk, ss, pp, ONE, ceil);
                    Tensor gm = TestData.uniform(9 + h, -1f, 1f, m.output().shape());
                    Tensor dm = Pool.maxPool2dBackward(gm, m.indices(), x.shape());
                    double tolM = 4 * U * ConvReference.dot(ConvReference.abs(x), ConvReference.abs(dm))
                            + Float.MIN_NORMAL;
                    assertEquals(ConvReference.dot(m.output(), gm), ConvReference.dot(x, dm), tolM, "max " + what);

                    Tensor ad = Pool.adaptiveAvgPool2d(x, k, s + 1);
                    Tensor gd = TestData.uniform(11 + h, -1f, 1f, ad.shape());
                    Tensor dd = Pool.adaptiveAvgPool2dBackward(gd, x.shape());
                    double window = (h / k + 2) * ((h + 1) / (s + 1) + 2);
                    double tolD = 2 * (window + 2) * U * ConvReference.dot(ConvReference.abs(x),
                            ConvReference.abs(dd)) + Float.MIN_NORMAL;
                    assertEquals(ConvReference.dot(ad, gd), ConvReference.dot(x, dd), tolD, "adaptive " + what);
                });
    }

    @Test
    void resultsAreBitwiseIdenticalForOneTwoAndFourThreads() {
        int old = Parallel.threads();
        Tensor x = TestData.uniform(3, -1f, 1f, 9, 7, 13, 11);
        Tensor g = TestData.uniform(4, -1f, 1f, 9, 7, 7, 6);
        float[][] first = null;
        try {
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                Pool.MaxPool2dResult m = Pool.maxPool2d(x, new int[] {3, 3}, K2, ONE, ONE, true);
                float[][] got = {
                    m.output().toFloatArray(),
                    Pool.maxPool2dBackward(g, m.indices(), x.shape()).toFloatArray(),
                    Pool.avgPool2d(x, new int[] {3, 3}, K2, ONE, true, false).toFloatArray(),
                    Pool.avgPool2dBackward(g, x.shape(), new int[] {3, 3}, K2, ONE, true, false).toFloatArray(),
                    Pool.adaptiveAvgPool2d(x, 7, 6).toFloatArray(),
                    Pool.adaptiveAvgPool2dBackward(g, x.shape()).toFloatArray()};
                if (first == null) {
                    first = got;
                } else {
                    for (int i = 0; i < got.length; i++) {
                        assertTrue(TestData.bitwiseEqual(first[i], got[i]), "result " + i + " differs at "
                                + threads + " threads");
                    }
                }
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void badInputsNameTheOpAndShapes() {
        Tensor x = Tensor.zeros(1, 2, 3, 3);
        IllegalArgumentException pad = assertThrows(IllegalArgumentException.class,
                () -> Pool.maxPool2d(x, K2, K2, new int[] {2, 0}, ONE, false));
        assertTrue(pad.getMessage().startsWith("maxPool2d: padding must be at most half the kernel")
                && pad.getMessage().contains("(1, 2, 3, 3)"), pad.getMessage());
        ShapeMismatchException small = assertThrows(ShapeMismatchException.class,
                () -> Pool.avgPool2d(x, new int[] {4, 4}, null, ZERO, false, true));
        assertTrue(small.getMessage().startsWith("avgPool2d:") && small.getMessage().contains("(1, 2, 3, 3)")
                && small.getMessage().contains("output 0x0"), small.getMessage());
        ShapeMismatchException rank = assertThrows(ShapeMismatchException.class,
                () -> Pool.adaptiveAvgPool2d(Tensor.zeros(2, 3, 3), 1, 1));
        assertTrue(rank.getMessage().startsWith("adaptiveAvgPool2d:") && rank.getMessage().contains("(2, 3, 3)")
                && rank.getMessage().contains("unsqueeze"), rank.getMessage());
        ShapeMismatchException dOut = assertThrows(ShapeMismatchException.class,
                () -> Pool.avgPool2dBackward(Tensor.zeros(1, 2, 3, 3), x.shape(), K2, null, ZERO, false, true));
        assertTrue(dOut.getMessage().startsWith("avgPool2dBackward:") && dOut.getMessage().contains("(1, 2, 1, 1)"),
                dOut.getMessage());
        ShapeMismatchException idx = assertThrows(ShapeMismatchException.class,
                () -> Pool.maxPool2dBackward(Tensor.zeros(1, 2, 1, 1), Tensor.zeros(1, 2, 1, 1), x.shape()));
        assertTrue(idx.getMessage().startsWith("maxPool2dBackward:") && idx.getMessage().contains("int64"),
                idx.getMessage());
    }
}
