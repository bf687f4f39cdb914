package dev.tiller.optim;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Kernels;
import dev.tiller.tensor.kernel.OptimKernels;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

/**
 * Callers of the fused optimizer kernels (OptimKernels, twin RefOptimKernels, chosen by Kernels.SIMD): each call
 * updates one parameter's contiguous float32 tensors in place, cutting them into fixed chunks of {@link #GRAIN}
 * elements that Parallel.forRange spreads over threads. Chunks depend only on the size, and the update is
 * element-wise, so results are bitwise identical for any thread count. Scalars are precomputed by the optimizer
 * (bias corrections, 1 - beta). Tensors are trusted: same element count, contiguous, float32, not overlapping.
 */
public final class FusedUpdate {
    /** Elements per parallel chunk: 16 Ki floats = 64 KiB per operand, big enough to amortise a hand-off. */
    public static final int GRAIN = 1 << 14;

    private FusedUpdate() {}

    /** RefOptimKernels.adamw over all of p, g, m, v. */
    public static void adamw(Tensor p, Tensor g, Tensor m, Tensor v, float gradSign, float decay,
                             float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize,
                             float bc2Sqrt) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> {
            if (Kernels.SIMD) {
                OptimKernels.adamw(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, v.segment(),
                        vo + s, e - s, gradSign, decay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
            } else {
                RefOptimKernels.adamw(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, v.segment(),
                        vo + s, e - s, gradSign, decay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
            }
        });
    }

    /** RefOptimKernels.adam over all of p, g, m, v. */
    public static void adam(Tensor p, Tensor g, Tensor m, Tensor v, float gradSign, float weightDecay,
                            float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize,
                            float bc2Sqrt) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> {
            if (Kernels.SIMD) {
                OptimKernels.adam(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, v.segment(),
                        vo + s, e - s, gradSign, weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize,
                        bc2Sqrt);
            } else {
                RefOptimKernels.adam(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, v.segment(),
                        vo + s, e - s, gradSign, weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize,
                        bc2Sqrt);
            }
        });
    }

    /** RefOptimKernels.sgd over all of p, g. */
    public static void sgd(Tensor p, Tensor g, float gradSign, float weightDecay, float lr) {
        long po = p.offset();
        long go = g.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> {
            if (Kernels.SIMD) {
                OptimKernels.sgd(p.segment(), po + s, g.segment(), go + s, e - s, gradSign, weightDecay, lr);
            } else {
                RefOptimKernels.sgd(p.segment(), po + s, g.segment(), go + s, e - s, gradSign, weightDecay, lr);
            }
        });
    }

    /** RefOptimKernels.sgdMomentum over all of p, g, b. */
    public static void sgdMomentum(Tensor p, Tensor g, Tensor b, float gradSign, float weightDecay, float lr,
                                   float momentum, float oneMinusDampening, boolean nesterov, boolean firstStep) {
        long po = p.offset();
        long go = g.offset();
        long bo = b.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> {
            if (Kernels.SIMD) {
                OptimKernels.sgdMomentum(p.segment(), po + s, g.segment(), go + s, b.segment(), bo + s, e - s,
                        gradSign, weightDecay, lr, momentum, oneMinusDampening, nesterov, firstStep);
            } else {
                RefOptimKernels.sgdMomentum(p.segment(), po + s, g.segment(), go + s, b.segment(), bo + s, e - s,
                        gradSign, weightDecay, lr, momentum, oneMinusDampening, nesterov, firstStep);
            }
        });
    }

    /** RefOptimKernels.lion over all of p, g, m (for optax.lion). */
    public static void lion(Tensor p, Tensor g, Tensor m, float lr, float beta1, float oneMinusBeta1, float beta2,
                            float oneMinusBeta2, float weightDecay) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> {
            if (Kernels.SIMD) {
                OptimKernels.lion(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, e - s, lr, beta1,
                        oneMinusBeta1, beta2, oneMinusBeta2, weightDecay);
            } else {
                RefOptimKernels.lion(p.segment(), po + s, g.segment(), go + s, m.segment(), mo + s, e - s, lr, beta1,
                        oneMinusBeta1, beta2, oneMinusBeta2, weightDecay);
            }
        });
    }

    private static int count(Tensor p) {
        long n = p.numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fused optimizer update: tensor of " + n
                    + " elements exceeds 2^31 - 1; split the parameter");
        }
        return (int) n;
    }
}
