package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static dev.tiller.tensor.TestData.bitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Reductions against a naive double reference on random shapes, dims and layouts; goldens; edge cases. */
class ReduceOpTest {
    private static final double U = 0x1p-24;

    @Test
    void reductionsMatchNaiveDoubleReference() {
        qt().withFixedSeed(41L).withExamples(150)
                .forAll(integers().between(0, 3), integers().between(0, 15), longs().all())
                .checkAssert((kind, dimMask, seed) -> {
                    int[] shape = OpTestData.shape(seed, 8000);
                    Tensor x = OpTestData.operand(shape, kind, seed, -8f, 8f);
                    int r = shape.length;
                    int[] dims = new int[Integer.bitCount(dimMask & ((1 << r) - 1))];
                    boolean[] red = new boolean[r];
                    for (int d = 0, k = 0; d < r; d++) {
                        if ((dimMask >> d & 1) != 0) {
                            red[d] = true;
                            dims[k++] = (seed & 4) == 0 ? d : d - r;      // negative dims too
                        }
                    }
                    if (dims.length == 0) {
                        Arrays.fill(red, true);
                    }
                    boolean keep = (seed & 8) != 0;
                    checkAgainstNaive(x, dims, red, keep);
                });
    }

    private static void checkAgainstNaive(Tensor x, int[] dims, boolean[] red, boolean keep) {
        int[] shape = x.shape();
        int r = shape.length;
        int[] outShape = new int[r];
        for (int d = 0; d < r; d++) {
            outShape[d] = red[d] ? 1 : shape[d];
        }
        int outN = 1;
        int reduced = 1;
        for (int d = 0; d < r; d++) {
            outN *= outShape[d];
            reduced *= red[d] ? shape[d] : 1;
        }
        double[] sum = new double[outN];
        double[] abs = new double[outN];
        double[] max = new double[outN];
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        float[] v = x.toFloatArray();
        int[] outIdx = new int[outN];
        for (int p = 0; p < v.length; p++) {
            int[] idx = OpTestData.index(shape, p);
            int o = 0;
            for (int d = 0; d < r; d++) {
                o = o * outShape[d] + (red[d] ? 0 : idx[d]);
            }
            outIdx[o] = o;
            sum[o] += v[p];
            abs[o] += Math.abs(v[p]);
            max[o] = Math.max(max[o], v[p]);
        }
        double[] lse = new double[outN];
        double[] dev = new double[outN];
        for (int p = 0; p < v.length; p++) {
            int[] idx = OpTestData.index(shape, p);
            int o = 0;
            for (int d = 0; d < r; d++) {
                o = o * outShape[d] + (red[d] ? 0 : idx[d]);
            }
            lse[o] += Math.exp(v[p] - max[o]);
            double m = sum[o] / reduced;
            dev[o] += (v[p] - m) * (v[p] - m);
        }
        float[] s = Reduce.sum(x, dims, keep).toFloatArray();
        float[] mean = Reduce.mean(x, dims, keep).toFloatArray();
        float[] var = Reduce.var(x, dims, 1, keep).toFloatArray();
        float[] lg = Reduce.logsumexp(x, dims, keep).toFloatArray();
        Tensor amaxT = reduced == 0 ? null : Reduce.amax(x, dims, keep);
        if (keep) {
            assertArrayEquals(outShape, Reduce.sum(x, dims, true).shape());
        } else {
            assertEquals(r - (int) IntStream.range(0, r).filter(d -> red[d]).count(),
                    Reduce.mean(x, dims, false).rank());
        }
        for (int o = 0; o < outN; o++) {
            String at = "x=" + OpTestData.str(x) + " dims=" + Arrays.toString(dims) + " out " + o;
            // double accumulation in another order: within 2 R 2^-53 sum|x|, then one rounding to float
            near(at + " sum", sum[o], s[o], Math.ulp((float) sum[o]) + 2 * reduced * 0x1p-53 * abs[o]);
            if (reduced == 0) {
                assertEquals(0f, s[o]);
                assertTrue(Float.isNaN(mean[o]) && Float.isNaN(var[o]), at);
                assertEquals(Float.NEGATIVE_INFINITY, lg[o], at);
                continue;
            }
            near(at + " mean", sum[o] / reduced, mean[o], Math.ulp((float) (sum[o] / reduced))
                    + 2 * reduced * 0x1p-53 * abs[o] / reduced);
            double wantVar = dev[o] / (reduced - 1);
            if (reduced == 1) {
                assertTrue(Float.isNaN(var[o]), at + " var of one element with correction 1: 0/0");
            } else {
                near(at + " var", wantVar, var[o], Math.ulp((float) wantVar) + 1e-12 * wantVar);
            }
            assertEquals((float) max[o], amaxT.toFloatArray()[o], 0f, at + " amax");
            // each e^(x - m) is a float exp of a float difference: relative 18u (see ReduceTwinTest), so the
            // log moves by at most 18u absolute, plus the final rounding
            double wantLse = Math.log(lse[o]) + max[o];
            near(at + " logsumexp", wantLse, lg[o], 18 * U + Math.ulp((float) wantLse));
        }
    }

    private static void near(String what, double want, float got, double tol) {
        if (!(Math.abs(want - got) <= tol)) {
            fail(what + ": got " + got + " want " + want + " tol " + tol);
        }
    }

    @Test
    void handGoldens() {
        // x = arange(24).reshape(2, 3, 4): x[i][j][k] = 12 i + 4 j + k. Sum over (0, 2):
        // sum_i sum_k (12 i + 4 j + k) = 4 * 12 + 8 * 4 j + 2 * (0 + 1 + 2 + 3) = 60 + 32 j -> [60, 92, 124]
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        assertArrayEquals(new float[] {60, 92, 124}, Reduce.sum(x, new int[] {0, 2}, false).toFloatArray());
        assertArrayEquals(new int[] {1, 3, 1}, Reduce.sum(x, new int[] {0, -1}, true).shape());
        assertEquals(276f, Reduce.sum(x).item());                               // 23 * 24 / 2
        assertEquals(0, Reduce.sum(x).rank());
        // max over dim 1: x[i][2][k] = 12 i + 8 + k
        assertArrayEquals(new float[] {8, 9, 10, 11, 20, 21, 22, 23},
                Reduce.amax(x, new int[] {1}, false).toFloatArray());
        assertArrayEquals(new float[] {0, 4, 8, 12, 16, 20}, Reduce.amin(x, new int[] {2}, false).toFloatArray());
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {2, 5}, Reduce.mean(m, new int[] {1}, false).toFloatArray());
        // var([1, 2, 3, 4]): mean 2.5, sum of squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5
        Tensor v = Tensor.of(new float[] {1, 2, 3, 4});
        assertEquals(5f / 3f, Reduce.var(v, new int[0], 1, false).item());
        assertEquals(1.25f, Reduce.var(v, new int[0], 0, false).item());
        // logsumexp: [0, 0] -> ln 2; [1000, 1000] -> 1000 + ln 2 (no overflow); all -inf -> -inf; +inf -> +inf
        assertEquals((float) Math.log(2), Reduce.logsumexp(Tensor.zeros(2), new int[0], false).item());
        assertEquals((float) (1000 + Math.log(2)),
                Reduce.logsumexp(Tensor.full(1000f, 2), new int[0], false).item());
        assertEquals(Float.NEGATIVE_INFINITY,
                Reduce.logsumexp(Tensor.full(Float.NEGATIVE_INFINITY, 3), new int[0], false).item());
        assertEquals(Float.POSITIVE_INFINITY, Reduce.logsumexp(Tensor.of(new float[] {1, Float.POSITIVE_INFINITY}),
                new int[0], false).item());
    }

    @Test
    void argmaxAndArgminTakeFirstOccurrenceAndFirstNaN() {
        Tensor t = Tensor.of(new float[] {1, 3, 3, 2, 2, 1, 1, 0}, 2, 4);
        Tensor am = Reduce.argmax(t, 1, false);
        assertEquals(DType.I64, am.dtype());
        assertArrayEquals(new long[] {1, 0}, am.toLongArray());                // ties: first occurrence
        assertArrayEquals(new long[] {0, 3}, Reduce.argmin(t, -1, false).toLongArray());
        assertArrayEquals(new long[] {1, 0, 0, 0}, Reduce.argmax(t, 0, false).toLongArray());
        assertArrayEquals(new int[] {2, 1}, Reduce.argmax(t, 1, true).shape());
        Tensor nan = Tensor.of(new float[] {1, Float.NaN, 5, Float.NaN});
        assertEquals(1L, Reduce.argmax(nan, 0, false).toLongArray()[0]);
        assertEquals(1L, Reduce.argmin(nan, 0, false).toLongArray()[0]);
        assertTrue(Float.isNaN(Reduce.amax(nan, new int[0], false).item()));
        assertTrue(Float.isNaN(Reduce.amin(Tensor.full(Float.NaN, 5), new int[0], false).item()));
        // transposed input: argmax over dim 0 of t.t() is argmax over dim 1 of t
        assertArrayEquals(new long[] {1, 0}, Reduce.argmax(t.t(), 0, false).toLongArray());
    }

    @Test
    void columnPathAndRowPathAgree() {
        // sum over leading dims of a contiguous (8, 70, 300) tensor goes through column sums; the same sum of a
        // permuted view goes through rows; both add in double, so with R = 560 and sum|x| <= R they agree to
        // 2 R 2^-53 R plus the final rounding
        Tensor x = Tensor.uniform(4, 4, -1f, 1f, 8, 70, 300);
        float[] col = Reduce.sum(x, new int[] {0, 1}, false).toFloatArray();
        float[] row = Reduce.sum(x.permute(2, 0, 1), new int[] {1, 2}, false).toFloatArray();
        float[] mid = Reduce.mean(x, new int[] {1}, true).toFloatArray();          // middle block: (A, R, K)
        float[] midRef = Reduce.mean(x.permute(0, 2, 1).contiguous(), new int[] {2}, false).toFloatArray();
        for (int i = 0; i < 300; i++) {
            assertEquals(row[i], col[i], Math.ulp(row[i]) + 2 * 560 * 0x1p-53 * 560);
        }
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 300; j++) {
                assertEquals(midRef[i * 300 + j], mid[i * 300 + j], Math.ulp(midRef[i * 300 + j]) + 1e-12);
            }
        }
    }

    @Test
    void emptyReductions() {
        Tensor e = Tensor.zeros(3, 0);
        assertArrayEquals(new float[] {0, 0, 0}, Reduce.sum(e, new int[] {1}, false).toFloatArray());
        assertTrue(Float.isNaN(Reduce.mean(e, new int[] {1}, false).toFloatArray()[0]));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Reduce.amax(e, new int[] {1}, false));
        assertTrue(ex.getMessage().startsWith("amax: ") && ex.getMessage().contains("empty")
                && ex.getMessage().contains("(3, 0)"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Reduce.argmin(e, 1, false));
        // reducing the non-empty dim of an empty tensor is fine: an empty result
        assertArrayEquals(new int[] {0}, Reduce.amax(e, new int[] {0}, false).shape());
        ex = assertThrows(IllegalArgumentException.class, () -> Reduce.sum(e, new int[] {1, -1}, false));
        assertTrue(ex.getMessage().startsWith("sum: ") && ex.getMessage().contains("twice"), ex.getMessage());
    }

    @Test
    void sumToUndoesBroadcasting() {
        Tensor g = Tensor.arange(24).reshape(2, 3, 4);
        // to (3, 1): sum over dims 0 and 2 with the 1 kept -> [60, 92, 124] as a column
        Tensor c = Reduce.sumTo(g, new int[] {3, 1});
        assertArrayEquals(new int[] {3, 1}, c.shape());
        assertArrayEquals(new float[] {60, 92, 124}, c.toFloatArray());
        // to (4): sum over dims 0 and 1: sum_{i,j} (12 i + 4 j + k) = 6 k + 3 * 12 + 2 * 4 * 3 = 6 k + 60
        assertArrayEquals(new float[] {60, 66, 72, 78}, Reduce.sumTo(g, new int[] {4}).toFloatArray());
        assertArrayEquals(new float[] {276}, Reduce.sumTo(g, new int[0]).toFloatArray());
        Tensor same = Reduce.sumTo(g.permute(1, 0, 2).permute(1, 0, 2), new int[] {2, 3, 4});
        assertArrayEquals(g.toFloatArray(), same.toFloatArray());
        assertTrue(!same.sharesStorage(g));
        // law: sumTo(expand(a)) = a * (number of copies)
        Tensor a = Tensor.uniform(3, 3, -1f, 1f, 1, 5);
        Tensor back = Reduce.sumTo(a.expand(4, 6, 5), new int[] {1, 5});
        float[] av = a.toFloatArray();
        float[] bv = back.toFloatArray();
        for (int i = 0; i < 5; i++) {
            assertEquals(24 * av[i], bv[i], Math.ulp(24 * av[i]), "24 copies summed in double");
        }
        ShapeMismatchException ex = assertThrows(ShapeMismatchException.class,
                () -> Reduce.sumTo(g, new int[] {3, 3}));
        assertTrue(ex.getMessage().startsWith("sumTo: ") && ex.getMessage().contains("(2, 3, 4)")
                && ex.getMessage().contains("(3, 3)"), ex.getMessage());
    }

    @Test
    void reductionsAreBitwiseIdenticalFor1And2And4Threads() {
        int old = Parallel.threads();
        try {
            // a full sum over 3 chunks plus a tail, a long row per output, and many short rows
            Tensor big = Tensor.uniform(5, 1, -1f, 1f, 3 * 16384 + 7);
            Tensor rows = Tensor.uniform(6, 1, -1f, 1f, 40000, 3);
            float[][] got = new float[3][];
            int[] threads = {1, 2, 4};
            for (int t = 0; t < 3; t++) {
                Parallel.setThreads(threads[t]);
                float[] a = Reduce.sum(big).toFloatArray();
                float[] b = Reduce.logsumexp(rows, new int[] {0}, false).toFloatArray();
                float[] c = Reduce.var(rows, new int[] {1}, 1, false).toFloatArray();
                float[] d = Reduce.amax(rows, new int[] {0}, false).toFloatArray();
                float[] e = Reduce.sumTo(rows.reshape(8, 5000, 3), new int[] {3}).toFloatArray();   // column path
                d = Arrays.copyOf(d, d.length + e.length);
                System.arraycopy(e, 0, d, d.length - e.length, e.length);
                float[] all = new float[a.length + b.length + c.length + d.length];
                System.arraycopy(a, 0, all, 0, a.length);
                System.arraycopy(b, 0, all, a.length, b.length);
                System.arraycopy(c, 0, all, a.length + b.length, c.length);
                System.arraycopy(d, 0, all, a.length + b.length + c.length, d.length);
                got[t] = all;
            }
            assertTrue(bitwiseEqual(got[0], got[1]));
            assertTrue(bitwiseEqual(got[0], got[2]));
            // and the chunked full sum agrees with a plain double sum
            double s = 0;
            for (float f : big.toFloatArray()) {
                s += f;
            }
            assertEquals((float) s, got[0][0], Math.ulp((float) s) + 1e-9);
            assertTrue(Philox.uniform(5, 1, 0) >= 0f);
        } finally {
            Parallel.setThreads(old);
        }
    }
}
