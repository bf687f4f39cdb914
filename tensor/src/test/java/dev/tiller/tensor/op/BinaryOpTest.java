package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.BinaryFn;
import dev.tiller.tensor.kernel.ref.RefBinary;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;

import static dev.tiller.tensor.TestData.bitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Binary ops with broadcasting against an element-by-element reference, goldens, determinism and messages. */
class BinaryOpTest {
    private static final BinaryFn[] FNS = BinaryFn.values();

    private static final List<BinaryOperator<Tensor>> OPS = List.of(Binary::add, Binary::sub,
            Binary::mul, Binary::div, Binary::pow, Binary::maximum, Binary::minimum, Binary::eq, Binary::ne, Binary::lt,
            Binary::le, Binary::gt, Binary::ge);               // in BinaryFn order

    @Test
    void broadcastOpsMatchElementwiseReferenceOnRandomShapesAndLayouts() {
        qt().withFixedSeed(31L).withExamples(300)
                .forAll(integers().between(0, FNS.length - 1), integers().between(0, 15), longs().all())
                .checkAssert((fi, kinds, seed) -> {
                    BinaryFn f = FNS[fi];
                    int[] out = OpTestData.shape(seed, 6000);
                    boolean swap = (seed & 1) == 0;
                    int[] sa = swap ? out : OpTestData.broadcastable(out, seed);
                    int[] sb = swap ? OpTestData.broadcastable(out, ~seed) : out;
                    float lo = f == BinaryFn.POW ? 0f : -3f;
                    Tensor a = OpTestData.operand(sa, kinds & 3, seed, lo, 3f);
                    Tensor b = OpTestData.operand(sb, kinds >> 2, seed + 1, -3f, 3f);
                    if (f.ordinal() >= BinaryFn.EQ.ordinal() && (seed & 2) == 0) {
                        b = Binary.maximum(Binary.minimum(b, Tensor.scalar(0.5f)), Tensor.scalar(0.5f)); // ties
                    }
                    Tensor r = OPS.get(fi).apply(a, b);
                    assertArrayEquals(out, r.shape(), "result shape");
                    float[] got = r.toFloatArray();
                    for (int p = 0; p < got.length; p++) {
                        int[] idx = OpTestData.index(out, p);
                        float want = RefBinary.apply(f, OpTestData.at(a, out, idx), OpTestData.at(b, out, idx));
                        // +, -, *, /, max, min, compares: correctly rounded both ways; pow: StrictMath.pow per
                        // element in both kernels
                        double tol = 0.0;
                        if (!(Float.compare(want, got[p]) == 0 || Math.abs(want - got[p]) <= tol)) {
                            fail(f + " a=" + OpTestData.str(a) + " b=" + OpTestData.str(b) + " at "
                                    + Arrays.toString(idx) + ": got " + got[p] + " want " + want);
                        }
                    }
                });
    }

    @Test
    void whereAndAddIntoMatchReferenceOnRandomShapes() {
        qt().withFixedSeed(32L).withExamples(150)
                .forAll(integers().between(0, 63), longs().all())
                .checkAssert((kinds, seed) -> {
                    int[] out = OpTestData.shape(seed, 6000);
                    Tensor c = Binary.gt(OpTestData.operand(OpTestData.broadcastable(out, seed), kinds & 3, seed,
                            -1f, 1f), Tensor.scalar(0f));
                    Tensor a = OpTestData.operand(OpTestData.broadcastable(out, seed + 5), kinds >> 2 & 3, seed + 1,
                            -1f, 1f);
                    Tensor b = OpTestData.operand(out, kinds >> 4, seed + 2, -1f, 1f);
                    Tensor w = Binary.where(c, a, b);
                    int[] ws = w.shape();
                    float[] got = w.toFloatArray();
                    for (int p = 0; p < got.length; p++) {
                        int[] idx = OpTestData.index(ws, p);
                        float want = OpTestData.at(c, ws, idx) != 0f ? OpTestData.at(a, ws, idx)
                                : OpTestData.at(b, ws, idx);
                        assertEquals(want, got[p], 0f);
                    }
                    Tensor dst = Tensor.uniform(seed, 9, -1f, 1f, out);
                    float[] before = dst.toFloatArray();
                    Binary.addInto(dst, a, -0.75f);
                    float[] after = dst.toFloatArray();
                    for (int p = 0; p < after.length; p++) {
                        float x = OpTestData.at(a, out, OpTestData.index(out, p));
                        float want = Math.fma(-0.75f, x, before[p]);       // one rounding
                        assertEquals(want, after[p], Math.ulp(want), "addInto at " + p);  // fma vs double: 1 ulp
                    }
                });
    }

    @Test
    void smallBroadcastGoldens() {
        // (2, 3) + (3): row [10, 20, 30] added to each row
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = Tensor.of(new float[] {10, 20, 30}, 3);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, Binary.add(a, row).toFloatArray());
        // (2, 1) * (1, 3): outer product [[1, 2, 3], [2, 4, 6]]
        Tensor col = Tensor.of(new float[] {1, 2}, 2, 1);
        Tensor r = Binary.mul(col, Tensor.of(new float[] {1, 2, 3}, 1, 3));
        assertArrayEquals(new int[] {2, 3}, r.shape());
        assertArrayEquals(new float[] {1, 2, 3, 2, 4, 6}, r.toFloatArray());
        // scalar - (3): [5 - 1, 5 - 2, 5 - 3]
        assertArrayEquals(new float[] {4, 3, 2}, Binary.sub(Tensor.scalar(5f), Tensor.of(new float[] {1, 2, 3}))
                .toFloatArray());
        // IEEE division and NaN semantics
        float[] d = Binary.div(Tensor.of(new float[] {1, -1, 0}), Tensor.scalar(0f)).toFloatArray();
        assertEquals(Float.POSITIVE_INFINITY, d[0]);
        assertEquals(Float.NEGATIVE_INFINITY, d[1]);
        assertTrue(Float.isNaN(d[2]));
        Tensor withNaN = Tensor.of(new float[] {Float.NaN, 1f});
        assertTrue(Float.isNaN(Binary.maximum(withNaN, Tensor.scalar(0f)).toFloatArray()[0]), "maximum keeps NaN");
        assertArrayEquals(new float[] {0f, 1f}, Binary.eq(withNaN, withNaN).toFloatArray());
        assertArrayEquals(new float[] {1f, 0f}, Binary.ne(withNaN, withNaN).toFloatArray());
        assertArrayEquals(new float[] {0f, 1f}, Binary.le(withNaN, Tensor.scalar(1f)).toFloatArray());
        // where: NaN condition counts as true; the unselected NaN never leaks
        Tensor cond = Tensor.of(new float[] {0f, Float.NaN, 2f});
        assertArrayEquals(new float[] {-1, 7, 7}, Binary.where(cond, Tensor.scalar(7f),
                Tensor.of(new float[] {-1, Float.NaN, Float.NaN})).toFloatArray());
        // addInto: dst (2, 3) zeros += 2 * row -> each row [20, 40, 60]
        Tensor g = Tensor.zeros(2, 3);
        Binary.addInto(g, row, 2f);
        assertArrayEquals(new float[] {20, 40, 60, 20, 40, 60}, g.toFloatArray());
        // size-0 dims broadcast to size-0 results
        assertArrayEquals(new int[] {0, 3}, Binary.add(Tensor.zeros(0, 1), Tensor.zeros(3)).shape());
    }

    @Test
    void resultsAreBitwiseIdenticalFor1And2And4Threads() {
        int old = Parallel.threads();
        try {
            Tensor a = Tensor.uniform(1, 1, 0.1f, 3f, 3, 16384 + 5);
            Tensor b = Tensor.uniform(2, 1, -3f, 3f, 16384 + 5);
            float[][] got = new float[3][];
            int[] threads = {1, 2, 4};
            for (int t = 0; t < 3; t++) {
                Parallel.setThreads(threads[t]);
                Tensor dst = Tensor.zeros(3, 16384 + 5);
                Binary.addInto(dst, Binary.pow(a, b), 0.5f);
                Binary.addInto(dst, Binary.div(a.t().contiguous().t(), b), 1f);
                got[t] = dst.toFloatArray();
            }
            assertTrue(bitwiseEqual(got[0], got[1]));
            assertTrue(bitwiseEqual(got[0], got[2]));
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void errorsNameTheOpAndBothShapes() {
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                () -> Binary.add(Tensor.zeros(2, 3), Tensor.zeros(4)));
        assertTrue(e.getMessage().startsWith("add: ") && e.getMessage().contains("(2, 3)")
                && e.getMessage().contains("(4)"), e.getMessage());
        e = assertThrows(ShapeMismatchException.class, () -> Binary.where(Tensor.zeros(2), Tensor.zeros(3),
                Tensor.zeros(1)));
        assertTrue(e.getMessage().startsWith("where: ") && e.getMessage().contains("cond=(2)")
                && e.getMessage().contains("a=(3)"), e.getMessage());
        e = assertThrows(ShapeMismatchException.class, () -> Binary.addInto(Tensor.zeros(3), Tensor.zeros(2, 3), 1f));
        assertTrue(e.getMessage().startsWith("addInto: ") && e.getMessage().contains("dst=(3)")
                && e.getMessage().contains("src=(2, 3)") && e.getMessage().contains("sumTo"), e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> Binary.mul(Tensor.zeros(2), Tensor.zeros(DType.I64, 2)));
        assertTrue(d.getMessage().startsWith("mul: ") && d.getMessage().contains("i64")
                && d.getMessage().contains("hint"), d.getMessage());
        assertEquals("(2, 3)", Shape.str(new int[] {2, 3}));
    }
}
