package dev.tiller.optim;

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

    /** 1 - x in double, rounded once to float (PyTorch's "1 - beta1" scalar). */
    static float oneMinus(float x) {
        return (float) (1.0 - decimal(x));
    }

    /** -1 when maximizing (the gradient is negated), else 1. */
    static float gradSign(boolean maximize) {
        return maximize ? -1f : 1f;
    }
}
