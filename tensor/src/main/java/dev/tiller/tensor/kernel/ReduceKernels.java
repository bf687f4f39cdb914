package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefReduce;

import java.lang.foreign.MemorySegment;

/**
 * The reductions of one run of float32 values as the ops call them: SimdReduce, or its twin RefReduce under
 * -Dtiller.simd=false. Contracts are on RefReduce. Each method is one static call on the constant {@link Kernels#SIMD},
 * so the JIT folds the choice away.
 */
public final class ReduceKernels {
    private ReduceKernels() {}

    public static double sum(MemorySegment x, long off, int n) {
        return Kernels.SIMD ? SimdReduce.sum(x, off, n) : RefReduce.sum(x, off, n);
    }

    public static double sumSquaredDeviation(MemorySegment x, long off, int n, double mean) {
        return Kernels.SIMD ? SimdReduce.sumSquaredDeviation(x, off, n, mean)
                : RefReduce.sumSquaredDeviation(x, off, n, mean);
    }

    public static double sumExp(MemorySegment x, long off, int n, float shift) {
        return Kernels.SIMD ? SimdReduce.sumExp(x, off, n, shift) : RefReduce.sumExp(x, off, n, shift);
    }

    public static float max(MemorySegment x, long off, int n) {
        return Kernels.SIMD ? SimdReduce.max(x, off, n) : RefReduce.max(x, off, n);
    }

    public static float min(MemorySegment x, long off, int n) {
        return Kernels.SIMD ? SimdReduce.min(x, off, n) : RefReduce.min(x, off, n);
    }

    public static int argmax(MemorySegment x, long off, int n) {
        return Kernels.SIMD ? SimdReduce.argmax(x, off, n) : RefReduce.argmax(x, off, n);
    }

    public static int argmin(MemorySegment x, long off, int n) {
        return Kernels.SIMD ? SimdReduce.argmin(x, off, n) : RefReduce.argmin(x, off, n);
    }

    public static void sumColumns(MemorySegment x, long off, int rows, long ld, int cols, double[] acc) {
        if (Kernels.SIMD) {
            SimdReduce.sumColumns(x, off, rows, ld, cols, acc);
        } else {
            RefReduce.sumColumns(x, off, rows, ld, cols, acc);
        }
    }
}
