package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefOptim;

import java.lang.foreign.MemorySegment;

/**
 * The fused optimizer updates, each dispatched to its SIMD form (SimdOptim) or, with -Dtiller.simd=false, to its
 * scalar twin (RefOptim). This is the one place the optimizers' SIMD-or-twin switch is written, so their call sites
 * read as the update they perform; the stochastic bfloat16 rounding of optimizer state is in ConvertKernels with the
 * other conversions. Contracts are on the twins; no threading here.
 */
public final class OptimKernels {
    private OptimKernels() {}

    /** RefOptim.adamw. */
    public static void adamw(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                             MemorySegment v, long vOff, int n, float gradSign, float decay, float oneMinusBeta1,
                             float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            SimdOptim.adamw(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, decay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptim.adamw(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, decay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptim.adam. */
    public static void adam(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            MemorySegment v, long vOff, int n, float gradSign, float weightDecay, float oneMinusBeta1,
                            float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            SimdOptim.adam(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, weightDecay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptim.adam(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, weightDecay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptim.amsgrad. */
    public static void amsgrad(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                               MemorySegment v, long vOff, MemorySegment vMax, long vMaxOff, int n, float gradSign,
                               float decay, float weightDecay, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                               float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            SimdOptim.amsgrad(p, pOff, g, gOff, m, mOff, v, vOff, vMax, vMaxOff, n, gradSign, decay, weightDecay,
                    oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptim.amsgrad(p, pOff, g, gOff, m, mOff, v, vOff, vMax, vMaxOff, n, gradSign, decay,
                    weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptim.sgd. */
    public static void sgd(MemorySegment p, long pOff, MemorySegment g, long gOff, int n, float gradSign,
                           float weightDecay, float lr) {
        if (Kernels.SIMD) {
            SimdOptim.sgd(p, pOff, g, gOff, n, gradSign, weightDecay, lr);
        } else {
            RefOptim.sgd(p, pOff, g, gOff, n, gradSign, weightDecay, lr);
        }
    }

    /** RefOptim.sgdMomentum. */
    public static void sgdMomentum(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment b,
                                   long bOff, int n, float gradSign, float weightDecay, float lr, float momentum,
                                   float oneMinusDampening, boolean nesterov, boolean firstStep) {
        if (Kernels.SIMD) {
            SimdOptim.sgdMomentum(p, pOff, g, gOff, b, bOff, n, gradSign, weightDecay, lr, momentum,
                    oneMinusDampening, nesterov, firstStep);
        } else {
            RefOptim.sgdMomentum(p, pOff, g, gOff, b, bOff, n, gradSign, weightDecay, lr, momentum,
                    oneMinusDampening, nesterov, firstStep);
        }
    }

    /** RefOptim.lion. */
    public static void lion(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            int n, float lr, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                            float weightDecay) {
        if (Kernels.SIMD) {
            SimdOptim.lion(p, pOff, g, gOff, m, mOff, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
                    weightDecay);
        } else {
            RefOptim.lion(p, pOff, g, gOff, m, mOff, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
                    weightDecay);
        }
    }
}
