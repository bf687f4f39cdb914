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

    /**
     * 1 - b as Optax computes it: b is a Python float, so the complement is taken in double from the decimal value
     * and then rounded to float32 (1 - 0.999 gives 0.001f). NOTE: 1f - 0.999f would give 0.00100004673f, a relative
     * error of 5e-5 that shows up against the reference; the shortest decimal of the float recovers the value the
     * caller wrote.
     */
    static float oneMinus(float b) {
        // A small direct-mapped cache (key and value packed in one long) keeps step() free of allocation: the
        // decimal conversion allocates, and the same few betas come back every step.
        int key = Float.floatToRawIntBits(b);
        int slot = (key ^ (key >>> 16)) & (ONE_MINUS_CACHE.length() - 1);
        long entry = ONE_MINUS_CACHE.get(slot);
        if (entry != 0 && (int) (entry >>> 32) == key) {
            return Float.intBitsToFloat((int) entry);
        }
        float c = (float) (1.0 - Double.parseDouble(Float.toString(b)));
        ONE_MINUS_CACHE.set(slot, ((long) key << 32) | (Float.floatToRawIntBits(c) & 0xFFFFFFFFL));
        return c;
    }

    private static final java.util.concurrent.atomic.AtomicLongArray ONE_MINUS_CACHE =
            new java.util.concurrent.atomic.AtomicLongArray(64);

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
