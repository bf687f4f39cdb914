package dev.tiller.optim;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Scalar helpers shared by the PyTorch-family optimizers. The reference libraries compute bias corrections and
 * coefficients such as 1 - beta2 in double from the decimal the user wrote (0.999), then round once to float32 when
 * the scalar meets a float32 tensor. Our records hold floats, and (double) 0.999f is 0.99900001287..., which makes
 * 1 - beta2^t off by about 1e-5 relative (1e-3 for beta2 = 0.99999). So the double is recovered from the float's
 * shortest decimal form, which is the decimal the user wrote whenever that decimal has at most ~7 digits.
 */
final class Scalars {
    private Scalars() {}

    /** The double whose decimal is the shortest one that rounds to x (0.999f gives 0.999). */
    static double decimal(float x) {
        return Double.parseDouble(Float.toString(x));
    }

    /**
     * 1 - x in double from x's decimal, rounded once to float: PyTorch's "1 - beta1" on a Python float, and Optax's
     * complement of a Python float beta (1 - 0.999 gives 0.001f, where 1f - 0.999f would give 0.00100004673f).
     * NOTE: a small direct-mapped cache (key and value packed in one long) keeps step() free of allocation: the
     * decimal conversion allocates, and the same few betas come back every step.
     */
    static float oneMinus(float x) {
        int key = Float.floatToRawIntBits(x);
        int slot = (key ^ (key >>> 16)) & (ONE_MINUS_CACHE.length() - 1);
        long entry = ONE_MINUS_CACHE.get(slot);
        if (entry != 0 && (int) (entry >>> 32) == key) {
            return Float.intBitsToFloat((int) entry);
        }
        float c = (float) (1.0 - decimal(x));
        ONE_MINUS_CACHE.set(slot, ((long) key << 32) | (Float.floatToRawIntBits(c) & 0xFFFFFFFFL));
        return c;
    }

    private static final AtomicLongArray ONE_MINUS_CACHE =
            new AtomicLongArray(64);

    /** -1 when maximizing (the gradient is negated), else 1. */
    static float gradSign(boolean maximize) {
        return maximize ? -1f : 1f;
    }
}
