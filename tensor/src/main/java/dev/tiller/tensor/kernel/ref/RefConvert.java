package dev.tiller.tensor.kernel.ref;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Precision;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reference bulk conversions: one loop over Precision's scalar definitions. Twin of Convert; same signatures. */
public final class RefConvert {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;

    private RefConvert() {}

    /** dst[dOff + i] = Precision.toBf16(src[sOff + i]). */
    public static void f32ToBf16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(I16, dOff + i, Precision.toBf16(src.getAtIndex(F32, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.fromBf16(src[sOff + i]). */
    public static void bf16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(F32, dOff + i, Precision.fromBf16(src.getAtIndex(I16, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.toF16(src[sOff + i]). */
    public static void f32ToF16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(I16, dOff + i, Precision.toF16(src.getAtIndex(F32, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.fromF16(src[sOff + i]). */
    public static void f16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(F32, dOff + i, Precision.fromF16(src.getAtIndex(I16, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.toBf16Stochastic(src[sOff + i], Philox.bits(seed, stream, index0 + i)). */
    public static void f32ToBf16Stochastic(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n,
                                           long seed, long stream, long index0) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(I16, dOff + i, Precision.toBf16Stochastic(src.getAtIndex(F32, sOff + i),
                    Philox.bits(seed, stream, index0 + i)));
        }
    }
}
