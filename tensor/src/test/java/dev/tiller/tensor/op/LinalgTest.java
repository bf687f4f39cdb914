package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TestData;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Linalg.matmul / matmulInto: torch.matmul rank rules, broadcasting, views without copies, errors. */
class LinalgTest {
    private static final double U = 0x1p-24;

    /**
     * Reference torch.matmul in double on float arrays, by the rank rules: 1-D operands promoted, batch dims
     * broadcast. Checks got against it with the fma-chain bound (k + 5) * u * sum|a b| (see GemmTwinTest).
     */
    private static void assertMatmul(Tensor a, Tensor b, Tensor got) {
        int[] as = a.shape();
        int[] bs = b.shape();
        Tensor a3 = as.length == 1 ? a.unsqueeze(0) : a;
        Tensor b3 = bs.length == 1 ? b.unsqueeze(1) : b;
        int m = a3.dim(-2);
        int k = a3.dim(-1);
        int n = b3.dim(-1);
        int rank = Math.max(a3.rank(), b3.rank());
        int[] batch = new int[rank - 2];
        for (int i = 0; i < batch.length; i++) {
            int da = i - (rank - a3.rank()) >= 0 ? a3.dim(i - (rank - a3.rank())) : 1;
            int db = i - (rank - b3.rank()) >= 0 ? b3.dim(i - (rank - b3.rank())) : 1;
            batch[i] = Math.max(da, db);
        }
        int[] full = Arrays.copyOf(batch, rank);
        full[rank - 2] = m;
        full[rank - 1] = k;
        Tensor ae = a3.expand(full);
        full[rank - 2] = k;
        full[rank - 1] = n;
        Tensor be = b3.expand(full);
        float[] av = ae.toFloatArray();
        float[] bv = be.toFloatArray();
        float[] gv = got.toFloatArray();
        int count = (int) Shape.numel(batch);
        assertEquals((long) count * m * n, gv.length, "result size");
        for (int q = 0; q < count; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) av[(q * m + i) * k + p] * bv[(q * k + p) * n + j];
                        s += t;
                        abs += Math.abs(t);
                    }
                    float g = gv[(q * m + i) * n + j];
                    if (!(Math.abs(g - s) <= (k + 5) * U * abs + Float.MIN_NORMAL)) {
                        fail("matmul " + a.describe() + " @ " + b.describe() + " at batch " + q + " (" + i + ", " + j
                                + "): " + g + " vs " + s);
                    }
                }
            }
        }
    }

    @Test
    void dotOfTwoVectorsIsRankZero() {
        // [1, 2, 3] . [4, 5, 6] = 4 + 10 + 18 = 32
        Tensor r = Linalg.matmul(Tensor.of(new float[] {1, 2, 3}, 3), Tensor.of(new float[] {4, 5, 6}, 3));
        assertEquals(0, r.rank());
        assertEquals(32f, r.item());
    }

    @Test
    void goldenTwoByTwo() {
        // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19, 22], [43, 50]]
        Tensor r = Linalg.matmul(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), Tensor.of(new float[] {5, 6, 7, 8}, 2, 2));
        assertArrayEquals(new int[] {2, 2}, r.shape());
        assertArrayEquals(new float[] {19, 22, 43, 50}, r.toFloatArray());
    }

    @Test
    void vectorPromotionAddsAndDropsTheVectorDims() {
        Linalg.VectorPromotion row = Linalg.VectorPromotion.of(new int[] {7}, new int[] {3, 7, 9});
        assertArrayEquals(new int[] {1, 7}, row.a(new int[] {7}));
        assertArrayEquals(new int[] {3, 7, 9}, row.b(new int[] {3, 7, 9}));
        assertArrayEquals(new int[] {3, 9}, row.result(new int[] {3, 1, 9}));
        Linalg.VectorPromotion column = Linalg.VectorPromotion.of(new int[] {3, 5, 7}, new int[] {7});
        assertArrayEquals(new int[] {7, 1}, column.b(new int[] {7}));
        assertArrayEquals(new int[] {3, 5}, column.result(new int[] {3, 5, 1}));
        Linalg.VectorPromotion dot = Linalg.VectorPromotion.of(new int[] {7}, new int[] {7});
        assertArrayEquals(new int[] {}, dot.result(new int[] {1, 1}));
        Linalg.VectorPromotion none = Linalg.VectorPromotion.of(new int[] {5, 7}, new int[] {7, 9});
        assertFalse(none.any());
        assertArrayEquals(new int[] {5, 9}, none.result(new int[] {5, 9}));
        assertThrows(ShapeMismatchException.class, () -> Linalg.VectorPromotion.of(new int[] {}, new int[] {7}));
    }

    @Test
    void everyRankCombinationFollowsTorchRules() {
        int[][][] cases = {
            {{7}, {7}},                         // -> ()
            {{5, 7}, {7, 9}},                   // -> (5, 9)
            {{7}, {7, 9}},                      // -> (9)
            {{5, 7}, {7}},                      // -> (5)
            {{7}, {3, 7, 9}},                   // -> (3, 9)
            {{3, 5, 7}, {7}},                   // -> (3, 5)
            {{3, 5, 7}, {7, 9}},                // (B, T, C) @ (C, N) -> (3, 5, 9), folded into one product
            {{5, 7}, {3, 7, 9}},                // -> (3, 5, 9)
            {{2, 1, 5, 7}, {3, 7, 9}},          // batch (2, 1) x (3) -> (2, 3)
            {{2, 3, 20, 8}, {2, 3, 8, 20}},     // (B, H, T, hs) @ (B, H, hs, T)
            {{4, 0, 7}, {7, 3}},                // empty batch rows
            {{3, 5, 0}, {3, 0, 4}},             // K = 0: zeros
            {{40, 70}, {70, 33}},               // the packed path
        };
        int[][] expected = {{}, {5, 9}, {9}, {5}, {3, 9}, {3, 5}, {3, 5, 9}, {3, 5, 9}, {2, 3, 5, 9}, {2, 3, 20, 20},
            {4, 0, 3}, {3, 5, 4}, {40, 33}};
        for (int c = 0; c < cases.length; c++) {
            Tensor a = TestData.uniform(100 + c, -1f, 1f, cases[c][0]);
            Tensor b = TestData.uniform(200 + c, -1f, 1f, cases[c][1]);
            Tensor r = Linalg.matmul(a, b);
            assertArrayEquals(expected[c], r.shape(), "shape of case " + c);
            assertMatmul(a, b, r);
        }
    }

    @Test
    void transposedViewsAreReadInPlaceAndMatchTheCopy() {
        Tensor x = TestData.uniform(1, -1f, 1f, 4, 33, 40);        // (B, T, C)
        Tensor w = TestData.uniform(2, -1f, 1f, 50, 40);           // (N, C): x @ w.t() as in a linear layer
        assertFalse(Linalg.needsCopy(w.t()));
        Tensor viaView = Linalg.matmul(x, w.t());
        Tensor viaCopy = Linalg.matmul(x, w.t().contiguous());
        assertTrue(TestData.bitwiseEqual(viaView.toFloatArray(), viaCopy.toFloatArray()));
        assertMatmul(x, w.t(), viaView);

        // Attention scores: q @ k^T with k^T a permuted view, (B, H, T, hs) @ (B, H, hs, T).
        Tensor q = TestData.uniform(3, -1f, 1f, 2, 3, 30, 16);
        Tensor kT = TestData.uniform(4, -1f, 1f, 2, 3, 30, 16).transpose(-2, -1);
        assertFalse(Linalg.needsCopy(kT));
        Tensor s1 = Linalg.matmul(q, kT);
        Tensor s2 = Linalg.matmul(q, kT.contiguous());
        assertTrue(TestData.bitwiseEqual(s1.toFloatArray(), s2.toFloatArray()));

        // Transposed A: dW = dOut^T x as in a linear layer's backward.
        Tensor dOut = TestData.uniform(5, -1f, 1f, 64, 24);
        Tensor xin = TestData.uniform(6, -1f, 1f, 64, 36);
        assertFalse(Linalg.needsCopy(dOut.t()));
        Tensor g1 = Linalg.matmul(dOut.t(), xin);
        Tensor g2 = Linalg.matmul(dOut.t().contiguous(), xin);
        assertTrue(TestData.bitwiseEqual(g1.toFloatArray(), g2.toFloatArray()));
        assertMatmul(dOut.t(), xin, g1);
    }

    @Test
    void irregularLayoutsAreCopiedAndStillCorrect() {
        Tensor big = TestData.uniform(7, -1f, 1f, 20, 30);
        Tensor strided = big.slice(1, 0, 30, 2);                   // (20, 15), last-dim stride 2
        assertTrue(Linalg.needsCopy(strided));
        Tensor b = TestData.uniform(8, -1f, 1f, 15, 9);
        assertMatmul(strided, b, Linalg.matmul(strided, b));
        Tensor row = TestData.uniform(9, -1f, 1f, 1, 15).expand(6, 15);   // stride-0 rows
        assertMatmul(row, b, Linalg.matmul(row, b));
    }

    @Test
    void matmulIntoAccumulatesWithAlphaAndBeta() {
        Tensor a = TestData.uniform(10, -1f, 1f, 2, 9, 13);
        Tensor b = TestData.uniform(11, -1f, 1f, 13, 11);
        Tensor out = TestData.uniform(12, -1f, 1f, 2, 9, 11);
        float[] before = out.toFloatArray();
        float[] prod = Linalg.matmul(a, b).toFloatArray();
        Linalg.matmulInto(a, b, out, 2f, 0.5f);
        float[] got = out.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            // out = 2 ab + 0.5 out0: prod carries the product's own error; 3 more roundings (scale, scale, add)
            double want = 2.0 * prod[i] + 0.5 * before[i];
            assertEquals(want, got[i], (13 + 8) * U * (2 * 13 + 0.5) + Float.MIN_NORMAL, "element " + i);
        }
        // beta = 0 ignores NaN in out; a transposed out view goes through a temporary.
        Tensor outT = Tensor.full(Float.NaN, 11, 9).t();
        Linalg.matmulInto(a.select(0, 1), b, outT, 1f, 0f);
        assertMatmul(a.select(0, 1), b, outT);
    }

    @Test
    void mismatchedInnerDimsNameTheShapesAndHint() {
        Tensor a = Tensor.zeros(32, 64);
        Tensor b = Tensor.zeros(128, 64);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> Linalg.matmul(a, b));
        assertEquals("matmul: expected a: (..., M, K), b: (..., K, N); got a=(32, 64), b=(128, 64); "
                + "hint: did you mean b.t()?", e.getMessage());
    }

    @Test
    void otherBadInputsAreRejectedWithTheOpName() {
        ShapeMismatchException batch = assertThrows(ShapeMismatchException.class,
                () -> Linalg.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(5, 4, 6)));
        assertTrue(batch.getMessage().startsWith("matmul: ") && batch.getMessage().contains("a=(2, 3, 4)")
                && batch.getMessage().contains("b=(5, 4, 6)"), batch.getMessage());
        IllegalArgumentException scalar = assertThrows(IllegalArgumentException.class,
                () -> Linalg.matmul(Tensor.scalar(1f), Tensor.zeros(3)));
        assertTrue(scalar.getMessage().startsWith("matmul: ") && scalar.getMessage().contains("a=()"),
                scalar.getMessage());
        IllegalArgumentException vec = assertThrows(ShapeMismatchException.class,
                () -> Linalg.matmul(Tensor.zeros(3), Tensor.zeros(4)));
        assertTrue(vec.getMessage().contains("a: (K), b: (K)") && vec.getMessage().contains("a=(3), b=(4)"),
                vec.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> Linalg.matmul(Tensor.zeros(DType.I32, 2, 2), Tensor.zeros(2, 2)));
        assertTrue(dtype.getMessage().startsWith("matmul: expected float32"), dtype.getMessage());
        ShapeMismatchException out = assertThrows(ShapeMismatchException.class,
                () -> Linalg.matmulInto(Tensor.zeros(2, 3), Tensor.zeros(3, 4), Tensor.zeros(4, 2), 1f, 0f));
        assertTrue(out.getMessage().contains("out=(4, 2)") && out.getMessage().contains("(2, 4)"), out.getMessage());
    }
}
