package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefBinary;

import java.lang.foreign.MemorySegment;

/**
 * The elementwise binary kernels as the ops call them: SimdBinary, or its twin RefBinary under -Dtiller.simd=false.
 * Contracts are on RefBinary. Each method is one static call on the constant {@link Kernels#SIMD}, so the JIT folds the
 * choice away.
 */
public final class BinaryKernels {
    private BinaryKernels() {}

    public static void apply(BinaryFn f, MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
                             MemorySegment out, long oOff, int n) {
        if (Kernels.SIMD) {
            SimdBinary.apply(f, a, aOff, aInc, b, bOff, bInc, out, oOff, n);
        } else {
            RefBinary.apply(f, a, aOff, aInc, b, bOff, bInc, out, oOff, n);
        }
    }

    public static void where(MemorySegment cond, long cOff, int cInc, MemorySegment a, long aOff, int aInc,
                             MemorySegment b, long bOff, int bInc, MemorySegment out, long oOff, int n) {
        if (Kernels.SIMD) {
            SimdBinary.where(cond, cOff, cInc, a, aOff, aInc, b, bOff, bInc, out, oOff, n);
        } else {
            RefBinary.where(cond, cOff, cInc, a, aOff, aInc, b, bOff, bInc, out, oOff, n);
        }
    }

    public static void axpy(float alpha, MemorySegment x, long xOff, int xInc, MemorySegment y, long yOff, int n) {
        if (Kernels.SIMD) {
            SimdBinary.axpy(alpha, x, xOff, xInc, y, yOff, n);
        } else {
            RefBinary.axpy(alpha, x, xOff, xInc, y, yOff, n);
        }
    }
}
