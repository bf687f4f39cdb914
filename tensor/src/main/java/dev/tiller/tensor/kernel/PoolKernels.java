package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefPool2d;

import java.lang.foreign.MemorySegment;

/**
 * The 2-D pooling kernels as the ops call them: Pool2d, or its twin RefPool2d under -Dtiller.simd=false. Contracts are
 * on RefPool2d. Each method is one static call on the constant {@link Kernels#SIMD}, so the JIT folds the choice away.
 */
public final class PoolKernels {
    private PoolKernels() {}

    public static void maxPool2d(PoolGeometry g, MemorySegment x, long xOff, int p0, int p1, MemorySegment out,
                                 long outOff, MemorySegment idx, long idxOff) {
        if (Kernels.SIMD) {
            Pool2d.maxPool2d(g, x, xOff, p0, p1, out, outOff, idx, idxOff);
        } else {
            RefPool2d.maxPool2d(g, x, xOff, p0, p1, out, outOff, idx, idxOff);
        }
    }

    public static void maxPool2dBackward(PoolGeometry g, MemorySegment dOut, long dOutOff, MemorySegment idx,
                                         long idxOff, int p0, int p1, MemorySegment dX, long dXOff) {
        if (Kernels.SIMD) {
            Pool2d.maxPool2dBackward(g, dOut, dOutOff, idx, idxOff, p0, p1, dX, dXOff);
        } else {
            RefPool2d.maxPool2dBackward(g, dOut, dOutOff, idx, idxOff, p0, p1, dX, dXOff);
        }
    }

    public static void avgPool2d(PoolGeometry g, boolean countIncludePad, MemorySegment x, long xOff, int p0, int p1,
                                 MemorySegment out, long outOff) {
        if (Kernels.SIMD) {
            Pool2d.avgPool2d(g, countIncludePad, x, xOff, p0, p1, out, outOff);
        } else {
            RefPool2d.avgPool2d(g, countIncludePad, x, xOff, p0, p1, out, outOff);
        }
    }

    public static void avgPool2dBackward(PoolGeometry g, boolean countIncludePad, MemorySegment dOut, long dOutOff,
                                         int p0, int p1, MemorySegment dX, long dXOff) {
        if (Kernels.SIMD) {
            Pool2d.avgPool2dBackward(g, countIncludePad, dOut, dOutOff, p0, p1, dX, dXOff);
        } else {
            RefPool2d.avgPool2dBackward(g, countIncludePad, dOut, dOutOff, p0, p1, dX, dXOff);
        }
    }

    public static void adaptiveAvgPool2d(int h, int w, int outH, int outW, MemorySegment x, long xOff, int p0, int p1,
                                         MemorySegment out, long outOff) {
        if (Kernels.SIMD) {
            Pool2d.adaptiveAvgPool2d(h, w, outH, outW, x, xOff, p0, p1, out, outOff);
        } else {
            RefPool2d.adaptiveAvgPool2d(h, w, outH, outW, x, xOff, p0, p1, out, outOff);
        }
    }

    public static void adaptiveAvgPool2dBackward(int h, int w, int outH, int outW, MemorySegment dOut, long dOutOff,
                                                 int p0, int p1, MemorySegment dX, long dXOff) {
        if (Kernels.SIMD) {
            Pool2d.adaptiveAvgPool2dBackward(h, w, outH, outW, dOut, dOutOff, p0, p1, dX, dXOff);
        } else {
            RefPool2d.adaptiveAvgPool2dBackward(h, w, outH, outW, dOut, dOutOff, p0, p1, dX, dXOff);
        }
    }
}
