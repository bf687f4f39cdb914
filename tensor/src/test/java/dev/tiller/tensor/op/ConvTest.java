package dev.tiller.tensor.op;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;
import dev.tiller.tensor.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-derived golden cases, determinism across thread counts, pooled memory reuse and bad-input messages. */
class ConvTest {
    private static final int[] ONE = {1, 1};
    private static final int[] ZERO = {0, 0};

    private static float[] arange1(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i + 1;
        }
        return v;
    }

    /**
     * x = [[1,2,3],[4,5,6],[7,8,9]] (1x1x3x3), w = 2x2 ones, stride 1, no padding: out is 2x2, each the sum of a
     * 2x2 block: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28; bias 0.5 adds 0.5.
     * With dOut = ones: dX counts the windows covering each pixel, [[1,2,1],[2,4,2],[1,2,1]]; dW[ki, kj] sums the
     * pixels each tap saw, which are the same four block sums 12, 16, 24, 28; dB = 4 (four outputs).
     */
    @Test
    void allOnesKernelOnThreeByThreeMatchesHandDerivation() {
        Tensor x = Tensor.of(arange1(9), 1, 1, 3, 3);
        Tensor w = Tensor.ones(1, 1, 2, 2);
        Tensor b = Tensor.of(new float[] {0.5f}, 1);
        assertArrayEquals(new float[] {12.5f, 16.5f, 24.5f, 28.5f}, Conv.conv2d(x, w, b, 1, 0).toFloatArray());
        Tensor dOut = Tensor.ones(1, 1, 2, 2);
        assertArrayEquals(new float[] {1, 2, 1, 2, 4, 2, 1, 2, 1},
                Conv.conv2dBackwardInput(dOut, w, new int[] {1, 1, 3, 3}, 1, 0, 1, 1).toFloatArray());
        assertArrayEquals(new float[] {12, 16, 24, 28},
                Conv.conv2dBackwardWeight(dOut, x, new int[] {1, 1, 2, 2}, 1, 0, 1, 1).toFloatArray());
        assertArrayEquals(new float[] {4}, Conv.conv2dBackwardBias(dOut).toFloatArray());
    }

    /**
     * Same x and kernel with padding 1, stride 2: outH = floor((3 + 2 - 1 - 1) / 2) + 1 = 2. Window (0,0) covers
     * rows/cols -1..0, only x[0,0] = 1 is inside; (0,1) covers rows -1..0, cols 1..2: 2 + 3 = 5; (1,0): rows 1..2,
     * cols -1..0: 4 + 7 = 11; (1,1): 5 + 6 + 8 + 9 = 28.
     */
    @Test
    void paddingAndStrideMatchHandDerivation() {
        Tensor x = Tensor.of(arange1(9), 1, 1, 3, 3);
        Tensor out = Conv.conv2d(x, Tensor.ones(1, 1, 2, 2), null, 2, 1);
        assertArrayEquals(new int[] {1, 1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {1, 5, 11, 28}, out.toFloatArray());
    }

    /**
     * Dilation 2 on a row x = [1, 2, 3, 4, 5] with w = [1, -1]: taps 2 apart, outW = 5 - 2 (2 - 1) - 1 + 1 = 3,
     * out[j] = x[j] - x[j + 2] = -2 each. Groups 2: x channels [2, 3], w = [10, 100] (1x1, one input channel each)
     * gives [20, 300], no cross-channel mixing.
     */
    @Test
    void dilationAndGroupsMatchHandDerivation() {
        Tensor x = Tensor.of(arange1(5), 1, 1, 1, 5);
        Tensor w = Tensor.of(new float[] {1, -1}, 1, 1, 1, 2);
        assertArrayEquals(new float[] {-2, -2, -2}, Conv.conv2d(x, w, null, 1, 0, 2, 1).toFloatArray());
        Tensor xg = Tensor.of(new float[] {2, 3}, 1, 2, 1, 1);
        Tensor wg = Tensor.of(new float[] {10, 100}, 2, 1, 1, 1);
        assertArrayEquals(new float[] {20, 300}, Conv.conv2d(xg, wg, null, 1, 0, 1, 2).toFloatArray());
    }

    @Test
    void emptyBatchGivesEmptyOutputAndZeroWeightGradient() {
        Tensor x = Tensor.zeros(0, 2, 5, 5);
        Tensor w = Tensor.ones(3, 2, 3, 3);
        assertArrayEquals(new int[] {0, 3, 5, 5}, Conv.conv2d(x, w, null, 1, 1).shape());
        Tensor dW = Conv.conv2dBackwardWeight(Tensor.zeros(0, 3, 5, 5), x, w.shape(), 1, 1, 1, 1);
        assertArrayEquals(new float[3 * 2 * 9], dW.toFloatArray());
    }

    /** Results must be bitwise identical for 1, 2 and 4 threads (fixed image chunks, fixed partial-sum order). */
    @Test
    void resultsAreBitwiseIdenticalForOneTwoAndFourThreads() {
        // Stride 2 and two groups: im2col + GEMM per image.
        assertSameForOneTwoAndFourThreads(TestData.uniform(1, -1f, 1f, 20, 4, 9, 7),
                TestData.uniform(2, -1f, 1f, 6, 2, 3, 3), TestData.uniform(4, -1f, 1f, 20, 6, 5, 4),
                new int[] {2, 2}, 2);
        // Stride 1, rows of 12 outputs: the fused path (packed col, weights packed per chunk, transposed dW).
        assertSameForOneTwoAndFourThreads(TestData.uniform(5, -1f, 1f, 20, 4, 9, 12),
                TestData.uniform(6, -1f, 1f, 6, 4, 3, 3), TestData.uniform(7, -1f, 1f, 20, 6, 9, 12),
                new int[] {1, 1}, 1);
    }

    private static void assertSameForOneTwoAndFourThreads(Tensor x, Tensor w, Tensor dOut, int[] s, int groups) {
        int old = Parallel.threads();
        Tensor b = TestData.uniform(3, -1f, 1f, w.dim(0));
        float[][] first = null;
        try {
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                int[] p = {1, 1};
                float[][] got = {
                    Conv.conv2d(x, w, b, s, p, ONE, groups).toFloatArray(),
                    Conv.conv2dBackwardInput(dOut, w, x.shape(), s, p, ONE, groups).toFloatArray(),
                    Conv.conv2dBackwardWeight(dOut, x, w.shape(), s, p, ONE, groups).toFloatArray(),
                    Conv.conv2dBackwardBias(dOut).toFloatArray()};
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

    /** A forward + backward step inside a TensorScope over a TensorPool reserves no new memory after warm-up. */
    @Test
    void repeatedStepInPooledScopeReservesNoNewMemory() {
        Tensor x = TestData.uniform(5, -1f, 1f, 6, 3, 10, 10).transpose(2, 3);   // a view: forces a copy too
        Tensor w = TestData.uniform(6, -1f, 1f, 8, 3, 3, 3);
        Tensor b = TestData.uniform(7, -1f, 1f, 8);
        try (TensorPool pool = new TensorPool()) {
            long warm = -1;
            for (int step = 0; step < 3; step++) {
                try (TensorScope scope = TensorScope.open(pool)) {
                    Tensor y = Conv.conv2d(x, w, b, 1, 1);
                    Conv.conv2dBackwardInput(y, w, x.shape(), 1, 1, 1, 1);
                    Conv.conv2dBackwardWeight(y, x, w.shape(), 1, 1, 1, 1);
                    Conv.conv2dBackwardBias(y);
                    assertTrue(scope.size() > 0);
                }
                if (step == 0) {
                    warm = pool.reservedBytes();
                } else {
                    assertEquals(warm, pool.reservedBytes(), "step " + step + " reserved new memory");
                }
            }
        }
    }

    @Test
    void channelMismatchNamesOpAndShapes() {
        Tensor x = Tensor.zeros(1, 3, 5, 5);
        Tensor w = Tensor.zeros(4, 2, 3, 3);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> Conv.conv2d(x, w, null, 1, 0));
        assertTrue(e.getMessage().startsWith("conv2d:"), e.getMessage());
        assertTrue(e.getMessage().contains("(1, 3, 5, 5)") && e.getMessage().contains("(4, 2, 3, 3)"),
                e.getMessage());
    }

    @Test
    void groupsNotDividingChannelsNamesOpAndShapes() {
        Tensor x = Tensor.zeros(1, 4, 5, 5);
        Tensor w = Tensor.zeros(6, 2, 3, 3);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                () -> Conv.conv2d(x, w, null, 1, 0, 1, 3));
        assertTrue(e.getMessage().startsWith("conv2d:") && e.getMessage().contains("groups dividing"),
                e.getMessage());
        assertTrue(e.getMessage().contains("(1, 4, 5, 5)") && e.getMessage().contains("groups=3"), e.getMessage());
    }

    @Test
    void emptyOutputNamesOpShapesAndSizes() {
        Tensor x = Tensor.zeros(1, 1, 2, 2);
        Tensor w = Tensor.zeros(1, 1, 3, 3);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> Conv.conv2d(x, w, null, 1, 0));
        assertTrue(e.getMessage().startsWith("conv2d:") && e.getMessage().contains("(1, 1, 2, 2)")
                && e.getMessage().contains("output 0x0"), e.getMessage());
    }

    @Test
    void badBiasStrideAndGradientShapesNameTheOp() {
        Tensor x = Tensor.zeros(2, 3, 5, 5);
        Tensor w = Tensor.zeros(4, 3, 3, 3);
        ShapeMismatchException bias = assertThrows(ShapeMismatchException.class,
                () -> Conv.conv2d(x, w, Tensor.zeros(3), 1, 0));
        assertTrue(bias.getMessage().contains("bias=(3)"), bias.getMessage());
        IllegalArgumentException stride = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, w, null, new int[] {0, 1}, ZERO, ONE, 1));
        assertTrue(stride.getMessage().startsWith("conv2d: stride"), stride.getMessage());
        ShapeMismatchException dOut = assertThrows(ShapeMismatchException.class,
                () -> Conv.conv2dBackwardInput(Tensor.zeros(2, 4, 5, 5), w, x.shape(), 1, 0, 1, 1));
        assertTrue(dOut.getMessage().startsWith("conv2dBackwardInput:")
                && dOut.getMessage().contains("(2, 4, 3, 3)") && dOut.getMessage().contains("dOut=(2, 4, 5, 5)"),
                dOut.getMessage());
        ShapeMismatchException rank = assertThrows(ShapeMismatchException.class,
                () -> Conv.conv2dBackwardWeight(Tensor.zeros(2, 4, 3, 3), Tensor.zeros(3, 5, 5), w.shape(), 1, 0, 1,
                        1));
        assertTrue(rank.getMessage().startsWith("conv2dBackwardWeight:") && rank.getMessage().contains("unsqueeze"),
                rank.getMessage());
    }
}
