package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefRows;

import java.lang.foreign.MemorySegment;

/**
 * The row kernels (softmax, normalisation, cross-entropy, embedding) as the ops call them: SimdRows, or its twin
 * RefRows under -Dtiller.simd=false. Contracts are on RefRows. Each method is one static call on the constant
 * {@link Kernels#SIMD}, so the JIT folds the choice away.
 */
public final class RowKernels {
    private RowKernels() {}

    public static float max(MemorySegment x, long xOff, int n) {
        return Kernels.SIMD ? SimdRows.max(x, xOff, n) : RefRows.max(x, xOff, n);
    }

    public static float sum(MemorySegment x, long xOff, int n) {
        return Kernels.SIMD ? SimdRows.sum(x, xOff, n) : RefRows.sum(x, xOff, n);
    }

    public static float sumSquaredDeviation(MemorySegment x, long xOff, int n, float mean) {
        return Kernels.SIMD ? SimdRows.sumSquaredDeviation(x, xOff, n, mean)
                : RefRows.sumSquaredDeviation(x, xOff, n, mean);
    }

    public static float dotCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, int n, float mean) {
        return Kernels.SIMD ? SimdRows.dotCentered(g, gOff, x, xOff, n, mean)
                : RefRows.dotCentered(g, gOff, x, xOff, n, mean);
    }

    public static float sumExpShifted(MemorySegment x, long xOff, int n, float shift) {
        return Kernels.SIMD ? SimdRows.sumExpShifted(x, xOff, n, shift) : RefRows.sumExpShifted(x, xOff, n, shift);
    }

    public static void expShiftScale(MemorySegment x, long xOff, MemorySegment out, long outOff, int n, float shift,
                                     float scale, float add) {
        if (Kernels.SIMD) {
            SimdRows.expShiftScale(x, xOff, out, outOff, n, shift, scale, add);
        } else {
            RefRows.expShiftScale(x, xOff, out, outOff, n, shift, scale, add);
        }
    }

    public static void affineCentered(MemorySegment x, long xOff, MemorySegment out, long outOff, int n, float mean,
                                      float scale, float shift) {
        if (Kernels.SIMD) {
            SimdRows.affineCentered(x, xOff, out, outOff, n, mean, scale, shift);
        } else {
            RefRows.affineCentered(x, xOff, out, outOff, n, mean, scale, shift);
        }
    }

    public static void gradCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, MemorySegment out,
                                    long outOff, int n, float a, float b, float mean, float c) {
        if (Kernels.SIMD) {
            SimdRows.gradCentered(g, gOff, x, xOff, out, outOff, n, a, b, mean, c);
        } else {
            RefRows.gradCentered(g, gOff, x, xOff, out, outOff, n, a, b, mean, c);
        }
    }

    public static void addInPlace(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        if (Kernels.SIMD) {
            SimdRows.addInPlace(x, xOff, y, yOff, n);
        } else {
            RefRows.addInPlace(x, xOff, y, yOff, n);
        }
    }

    public static void softmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n, float scale) {
        if (Kernels.SIMD) {
            SimdRows.softmax(x, xOff, y, yOff, n, scale);
        } else {
            RefRows.softmax(x, xOff, y, yOff, n, scale);
        }
    }

    public static void logSoftmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        if (Kernels.SIMD) {
            SimdRows.logSoftmax(x, xOff, y, yOff, n);
        } else {
            RefRows.logSoftmax(x, xOff, y, yOff, n);
        }
    }

    public static void softmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff, MemorySegment dX,
                                       long dxOff, int n, float scale) {
        if (Kernels.SIMD) {
            SimdRows.softmaxBackward(y, yOff, dY, dyOff, dX, dxOff, n, scale);
        } else {
            RefRows.softmaxBackward(y, yOff, dY, dyOff, dX, dxOff, n, scale);
        }
    }

    public static void logSoftmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff, MemorySegment dX,
                                          long dxOff, int n) {
        if (Kernels.SIMD) {
            SimdRows.logSoftmaxBackward(y, yOff, dY, dyOff, dX, dxOff, n);
        } else {
            RefRows.logSoftmaxBackward(y, yOff, dY, dyOff, dX, dxOff, n);
        }
    }

    public static void layerNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment b, long bOff,
                                 MemorySegment out, long outOff, int n, float eps, MemorySegment mean, long meanOff,
                                 MemorySegment rstd, long rstdOff) {
        if (Kernels.SIMD) {
            SimdRows.layerNorm(x, xOff, w, wOff, b, bOff, out, outOff, n, eps, mean, meanOff, rstd, rstdOff);
        } else {
            RefRows.layerNorm(x, xOff, w, wOff, b, bOff, out, outOff, n, eps, mean, meanOff, rstd, rstdOff);
        }
    }

    public static void layerNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float mean,
                                         float rstd, MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        if (Kernels.SIMD) {
            SimdRows.layerNormBackward(dOut, dOff, x, xOff, mean, rstd, w, wOff, dX, dxOff, n);
        } else {
            RefRows.layerNormBackward(dOut, dOff, x, xOff, mean, rstd, w, wOff, dX, dxOff, n);
        }
    }

    public static void layerNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff, MemorySegment mean,
                                          long meanOff, MemorySegment rstd, long rstdOff, int rows, int cols, int c0,
                                          int nc, MemorySegment dW, MemorySegment dB) {
        if (Kernels.SIMD) {
            SimdRows.layerNormParamGrad(dOut, dOff, x, xOff, mean, meanOff, rstd, rstdOff, rows, cols, c0, nc, dW, dB);
        } else {
            RefRows.layerNormParamGrad(dOut, dOff, x, xOff, mean, meanOff, rstd, rstdOff, rows, cols, c0, nc, dW, dB);
        }
    }

    public static void rmsNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment out, long outOff,
                               int n, float eps, MemorySegment rrms, long rOff) {
        if (Kernels.SIMD) {
            SimdRows.rmsNorm(x, xOff, w, wOff, out, outOff, n, eps, rrms, rOff);
        } else {
            RefRows.rmsNorm(x, xOff, w, wOff, out, outOff, n, eps, rrms, rOff);
        }
    }

    public static void rmsNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float r,
                                       MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        if (Kernels.SIMD) {
            SimdRows.rmsNormBackward(dOut, dOff, x, xOff, r, w, wOff, dX, dxOff, n);
        } else {
            RefRows.rmsNormBackward(dOut, dOff, x, xOff, r, w, wOff, dX, dxOff, n);
        }
    }

    public static void rmsNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff, MemorySegment rrms,
                                        long rOff, int rows, int cols, int c0, int nc, MemorySegment dW) {
        if (Kernels.SIMD) {
            SimdRows.rmsNormParamGrad(dOut, dOff, x, xOff, rrms, rOff, rows, cols, c0, nc, dW);
        } else {
            RefRows.rmsNormParamGrad(dOut, dOff, x, xOff, rrms, rOff, rows, cols, c0, nc, dW);
        }
    }
}
