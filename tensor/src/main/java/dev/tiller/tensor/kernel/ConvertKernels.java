package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefConvert;

import java.lang.foreign.MemorySegment;

/**
 * The bulk float32 / 16-bit conversions as the ops call them: Convert, or its twin RefConvert under
 * -Dtiller.simd=false. Contracts are on RefConvert. Each method is one static call on the constant
 * {@link Kernels#SIMD}, so the JIT folds the choice away.
 */
public final class ConvertKernels {
    private ConvertKernels() {}

    public static void f32ToBf16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        if (Kernels.SIMD) {
            Convert.f32ToBf16(src, sOff, dst, dOff, n);
        } else {
            RefConvert.f32ToBf16(src, sOff, dst, dOff, n);
        }
    }

    public static void bf16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        if (Kernels.SIMD) {
            Convert.bf16ToF32(src, sOff, dst, dOff, n);
        } else {
            RefConvert.bf16ToF32(src, sOff, dst, dOff, n);
        }
    }

    public static void f32ToF16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        if (Kernels.SIMD) {
            Convert.f32ToF16(src, sOff, dst, dOff, n);
        } else {
            RefConvert.f32ToF16(src, sOff, dst, dOff, n);
        }
    }

    public static void f16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        if (Kernels.SIMD) {
            Convert.f16ToF32(src, sOff, dst, dOff, n);
        } else {
            RefConvert.f16ToF32(src, sOff, dst, dOff, n);
        }
    }

    public static void f32ToBf16Stochastic(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n, long seed,
                                           long stream, long index0) {
        if (Kernels.SIMD) {
            Convert.f32ToBf16Stochastic(src, sOff, dst, dOff, n, seed, stream, index0);
        } else {
            RefConvert.f32ToBf16Stochastic(src, sOff, dst, dOff, n, seed, stream, index0);
        }
    }
}
