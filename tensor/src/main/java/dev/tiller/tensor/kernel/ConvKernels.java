package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefConv;

import java.lang.foreign.MemorySegment;

/**
 * The convolution kernels as the ops call them: SimdConv, or its twin RefConv under -Dtiller.simd=false. Contracts are
 * on RefConv. Each method is one static call on the constant {@link Kernels#SIMD}, so the JIT folds the choice away.
 */
public final class ConvKernels {
    private ConvKernels() {}

    public static void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment col, long colOff) {
        if (Kernels.SIMD) {
            SimdConv.im2col(g, x, xOff, col, colOff);
        } else {
            RefConv.im2col(g, x, xOff, col, colOff);
        }
    }

    public static void col2im(ConvGeometry g, MemorySegment col, long colOff, MemorySegment x, long xOff) {
        if (Kernels.SIMD) {
            SimdConv.col2im(g, col, colOff, x, xOff);
        } else {
            RefConv.col2im(g, col, colOff, x, xOff);
        }
    }

    public static void broadcastRows(MemorySegment b, long bOff, int rows, int len, MemorySegment out, long outOff) {
        if (Kernels.SIMD) {
            SimdConv.broadcastRows(b, bOff, rows, len, out, outOff);
        } else {
            RefConv.broadcastRows(b, bOff, rows, len, out, outOff);
        }
    }

    public static void planeSums(MemorySegment d, long dOff, int n, int channels, int hw, int c0, int c1,
                                 MemorySegment out, long outOff) {
        if (Kernels.SIMD) {
            SimdConv.planeSums(d, dOff, n, channels, hw, c0, c1, out, outOff);
        } else {
            RefConv.planeSums(d, dOff, n, channels, hw, c0, c1, out, outOff);
        }
    }

    public static void accumulate(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int n) {
        if (Kernels.SIMD) {
            SimdConv.accumulate(src, srcOff, dst, dstOff, n);
        } else {
            RefConv.accumulate(src, srcOff, dst, dstOff, n);
        }
    }

    // ---------------------------------------------------------------- fused image products (SIMD only)

    /**
     * Whether the fused image products below take this geometry: only on the SIMD path, and only where
     * SimdConv.fused accepts it. Their scalar counterpart is im2col (or col2im) with Gemm.sgemm, which gives the
     * same bits, so the twins run that instead.
     */
    public static boolean fused(ConvGeometry g) {
        return Kernels.SIMD && SimdConv.fused(g);
    }

    /** SimdConv.packWeights; call only when {@link #fused} holds. */
    public static float[] packWeights(ConvGeometry g, MemorySegment w, long wOff, boolean transposed) {
        return SimdConv.packWeights(g, w, wOff, transposed);
    }

    /** SimdConv.convImage; call only when {@link #fused} holds. */
    public static void convImage(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                                 float[] packedW, float beta, MemorySegment out, long outOff) {
        SimdConv.convImage(g, x, xOff, w, wOff, packedW, beta, out, outOff);
    }

    /** SimdConv.inputGradImage; call only when {@link #fused} holds. */
    public static void inputGradImage(ConvGeometry g, float[] packedWT, MemorySegment dOut, long dOff,
                                      MemorySegment col, long colOff, MemorySegment x, long xOff) {
        SimdConv.inputGradImage(g, packedWT, dOut, dOff, col, colOff, x, xOff);
    }

    /** SimdConv.weightGradImageT; call only when {@link #fused} holds. */
    public static void weightGradImageT(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dOut, long dOff,
                                        float beta, MemorySegment dwt, long dwtOff) {
        SimdConv.weightGradImageT(g, x, xOff, dOut, dOff, beta, dwt, dwtOff);
    }

    /** SimdConv.transpose: the fused weight gradient, computed transposed, into dW's layout. */
    public static void transpose(MemorySegment src, long srcOff, int rows, int cols, MemorySegment dst,
                                 long dstOff) {
        SimdConv.transpose(src, srcOff, rows, cols, dst, dstOff);
    }
}
