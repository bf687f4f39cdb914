package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefConvert;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

import java.lang.foreign.MemorySegment;

/**
 * The kernels an optimizer step calls, each dispatched to its SIMD form or, with -Dtiller.simd=false, to its scalar
 * twin: the fused updates (OptimKernels, twin RefOptimKernels) and the stochastic bfloat16 rounding of optimizer
 * state (Convert, twin RefConvert). This is the one place the optimizers' SIMD-or-twin switch is written, so their
 * call sites read as the update they perform. Contracts are on the twins; no threading here.
 */
public final class OptimDispatch {
    private OptimDispatch() {}

    /** RefOptimKernels.adamw. */
    public static void adamw(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                             MemorySegment v, long vOff, int n, float gradSign, float decay, float oneMinusBeta1,
                             float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            OptimKernels.adamw(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, decay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptimKernels.adamw(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, decay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptimKernels.adam. */
    public static void adam(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            MemorySegment v, long vOff, int n, float gradSign, float weightDecay, float oneMinusBeta1,
                            float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            OptimKernels.adam(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, weightDecay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptimKernels.adam(p, pOff, g, gOff, m, mOff, v, vOff, n, gradSign, weightDecay, oneMinusBeta1, beta2,
                    oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptimKernels.amsgrad. */
    public static void amsgrad(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                               MemorySegment v, long vOff, MemorySegment vMax, long vMaxOff, int n, float gradSign,
                               float decay, float weightDecay, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                               float eps, float stepSize, float bc2Sqrt) {
        if (Kernels.SIMD) {
            OptimKernels.amsgrad(p, pOff, g, gOff, m, mOff, v, vOff, vMax, vMaxOff, n, gradSign, decay, weightDecay,
                    oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        } else {
            RefOptimKernels.amsgrad(p, pOff, g, gOff, m, mOff, v, vOff, vMax, vMaxOff, n, gradSign, decay,
                    weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** RefOptimKernels.sgd. */
    public static void sgd(MemorySegment p, long pOff, MemorySegment g, long gOff, int n, float gradSign,
                           float weightDecay, float lr) {
        if (Kernels.SIMD) {
            OptimKernels.sgd(p, pOff, g, gOff, n, gradSign, weightDecay, lr);
        } else {
            RefOptimKernels.sgd(p, pOff, g, gOff, n, gradSign, weightDecay, lr);
        }
    }

    /** RefOptimKernels.sgdMomentum. */
    public static void sgdMomentum(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment b,
                                   long bOff, int n, float gradSign, float weightDecay, float lr, float momentum,
                                   float oneMinusDampening, boolean nesterov, boolean firstStep) {
        if (Kernels.SIMD) {
            OptimKernels.sgdMomentum(p, pOff, g, gOff, b, bOff, n, gradSign, weightDecay, lr, momentum,
                    oneMinusDampening, nesterov, firstStep);
        } else {
            RefOptimKernels.sgdMomentum(p, pOff, g, gOff, b, bOff, n, gradSign, weightDecay, lr, momentum,
                    oneMinusDampening, nesterov, firstStep);
        }
    }

    /** RefOptimKernels.lion. */
    public static void lion(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            int n, float lr, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                            float weightDecay) {
        if (Kernels.SIMD) {
            OptimKernels.lion(p, pOff, g, gOff, m, mOff, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
                    weightDecay);
        } else {
            RefOptimKernels.lion(p, pOff, g, gOff, m, mOff, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
                    weightDecay);
        }
    }

    /** RefConvert.f32ToBf16Stochastic: float32 state rounded stochastically to bfloat16, keyed by Philox. */
    public static void f32ToBf16Stochastic(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n,
                                           long seed, long stream, long index0) {
        if (Kernels.SIMD) {
            Convert.f32ToBf16Stochastic(src, sOff, dst, dOff, n, seed, stream, index0);
        } else {
            RefConvert.f32ToBf16Stochastic(src, sOff, dst, dOff, n, seed, stream, index0);
        }
    }
}
