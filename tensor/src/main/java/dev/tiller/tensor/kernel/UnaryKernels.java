package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefUnary;

import java.lang.foreign.MemorySegment;

/**
 * The elementwise unary kernels as the ops call them: SimdUnary, or its twin RefUnary under -Dtiller.simd=false.
 * Contracts are on RefUnary. Each method is one static call on the constant {@link Kernels#SIMD}, so the JIT folds the
 * choice away.
 */
public final class UnaryKernels {
    private UnaryKernels() {}

    public static void map(UnaryFn f, float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        if (Kernels.SIMD) {
            SimdUnary.map(f, p, q, x, xOff, y, yOff, n);
        } else {
            RefUnary.map(f, p, q, x, xOff, y, yOff, n);
        }
    }

    public static void backward(UnaryFn f, float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
                                MemorySegment dx, long dxOff, int n) {
        if (Kernels.SIMD) {
            SimdUnary.backward(f, p, q, at, aOff, dOut, dOff, dx, dxOff, n);
        } else {
            RefUnary.backward(f, p, q, at, aOff, dOut, dOff, dx, dxOff, n);
        }
    }

    public static void geluKeep(MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment k, long kOff,
                                int n) {
        if (Kernels.SIMD) {
            SimdUnary.geluKeep(x, xOff, y, yOff, k, kOff, n);
        } else {
            RefUnary.geluKeep(x, xOff, y, yOff, k, kOff, n);
        }
    }

    public static void geluBackwardKept(MemorySegment at, long aOff, MemorySegment k, long kOff, MemorySegment dOut,
                                        long dOff, MemorySegment dx, long dxOff, int n) {
        if (Kernels.SIMD) {
            SimdUnary.geluBackwardKept(at, aOff, k, kOff, dOut, dOff, dx, dxOff, n);
        } else {
            RefUnary.geluBackwardKept(at, aOff, k, kOff, dOut, dOff, dx, dxOff, n);
        }
    }
}
