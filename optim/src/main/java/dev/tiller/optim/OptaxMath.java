package dev.tiller.optim;

import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Small numeric helpers shared by the Optax-family optimizers: bias corrections computed as Optax does (in float32,
 * {@code 1 - decay^t}), L2 norms of whole tensors (accumulated in double, in index order, so they are deterministic),
 * and Optax's warm-up schedule.
 */
final class OptaxMath {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private OptaxMath() {}

    /** 1 - decay^t rounded to float32 (optax.tree.bias_correction's divisor). */
    static float biasCorrection(float decay, long t) {
        return 1f - (float) StrictMath.pow(decay, t);
    }

    /** Euclidean norm of all elements of a contiguous float32 tensor. */
    static double l2(Tensor x) {
        MemorySegment s = x.segment();
        long o = x.offset();
        long n = x.numel();
        double acc = 0;
        for (long i = 0; i < n; i++) {
            double v = s.getAtIndex(F32, o + i);
            acc += v * v;
        }
        return Math.sqrt(acc);
    }

    /**
     * optax.warmup_constant_schedule(init_value=0, peak_value=peak, warmup_steps) at count: linear from 0 at count 0
     * to peak at count = warmupSteps, then constant; warmupSteps = 0 means no warm-up (peak throughout).
     */
    static float warmupConstant(float peak, int warmupSteps, long count) {
        if (warmupSteps <= 0) {
            return peak;
        }
        float c = Math.min(Math.max(count, 0), warmupSteps);
        float frac = 1f - c / warmupSteps;
        return (0f - peak) * frac + peak;
    }
}
