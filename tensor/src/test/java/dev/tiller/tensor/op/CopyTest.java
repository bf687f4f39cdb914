package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Precision;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TestData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Copy.into: every path (memory copy, bulk conversion, strided rows, per element) gives each element the same bits. */
class CopyTest {
    /** Values that exercise rounding: ties, subnormals, infinities, NaN, large and negative values. */
    private static Tensor awkward(int rows, int cols) {
        Tensor t = TestData.uniform(7, -300f, 300f, rows, cols);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-140f, -0f,
            1f + 0x1p-8f, 65520f, 1e-8f, 3.5f, -2.5f};
        for (int i = 0; i < special.length; i++) {
            t.setFloat(special[i], i % rows, i * 3 % cols);
        }
        return t;
    }

    /** The definition: element i of src converted by readFloat / writeFloat's rules. */
    private static long bitsOf(float v, DType dt) {
        return switch (dt) {
            case F32 -> Float.floatToRawIntBits(v);
            case BF16 -> Precision.toBf16(v);
            case F16 -> Precision.toF16(v);
            case I32 -> (int) v;
            case I64 -> (long) v;
            case I8 -> (byte) v;
        };
    }

    private static long rawAt(Tensor t, long i) {
        MemorySegment s = t.segment();
        long at = t.offset() + i;
        return switch (t.dtype()) {
            case F32, I32 -> s.getAtIndex(ValueLayout.JAVA_INT, at);
            case BF16, F16 -> s.getAtIndex(ValueLayout.JAVA_SHORT, at);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, at);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, at);
        };
    }

    @Test
    void denseAndStridedSourcesConvertToTheDefinitionsBits() {
        int rows = 37;
        int cols = 53;
        Tensor x = awkward(rows, cols);
        Tensor xt = x.t().contiguous().t();          // same values, column-major: the strided paths
        float[] v = x.toFloatArray();
        for (DType dt : DType.values()) {
            Tensor dense = Tensor.empty(dt, rows, cols);
            dense.copyFrom(x);                        // F32 -> 16-bit: the bulk kernels; F32: one memory copy
            Tensor strided = Tensor.empty(dt, rows, cols);
            strided.copyFrom(xt);                     // F32: rows in parallel; others: element by element
            for (int i = 0; i < v.length; i++) {
                long expect = bitsOf(v[i], dt);
                assertEquals(expect, rawAt(dense, i), dt + " dense, element " + i + " = " + v[i]);
                assertEquals(expect, rawAt(strided, i), dt + " strided, element " + i + " = " + v[i]);
            }
        }
    }

    @Test
    void sixteenBitSourcesWidenExactlyOnEveryPath() {
        Tensor x = awkward(19, 41);
        for (DType half : new DType[] {DType.BF16, DType.F16}) {
            Tensor h = x.to(half);
            Tensor dense = h.to(DType.F32);                          // bulk widening
            Tensor strided = Tensor.empty(DType.F32, 41, 19);
            strided.copyFrom(h.t());                                // element by element
            for (int i = 0; i < 19; i++) {
                for (int j = 0; j < 41; j++) {
                    float expect = Copy.readFloat(h.segment(), half, (long) i * 41 + j);
                    assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(dense.getFloat(i, j)));
                    assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(strided.getFloat(j, i)));
                }
            }
        }
    }

    @Test
    void integersConvertBetweenWidthsByTheirLowBits() {
        Tensor big = Tensor.ofLongs(new long[] {(1L << 40) + 5, -3, 300, Integer.MIN_VALUE}, 4);
        assertArrayEquals(new int[] {5, -3, 300, Integer.MIN_VALUE}, big.to(DType.I32).toIntArray());
        Tensor i8 = big.to(DType.I8);
        assertEquals((byte) 300, i8.getLong(2));
        assertEquals((float) ((1L << 40) + 5), big.to(DType.F32).getFloat(0));
    }
}
