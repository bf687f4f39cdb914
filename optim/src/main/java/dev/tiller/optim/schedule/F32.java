package dev.tiller.optim.schedule;

/**
 * float32 helpers for the Optax schedules, which JAX evaluates in float32 (x64 disabled): Java float arithmetic is
 * IEEE single precision, so + - * / match XLA's; cos and pow are evaluated in double and rounded once, which is what a
 * correctly rounded float32 libm returns.
 */
final class F32 {
    /** jnp.pi as float32. */
    static final float PI = (float) Math.PI;

    private F32() {}

    static float cos(float x) {
        return (float) StrictMath.cos(x);
    }

    /**
     * {@code x ** p}: JAX uses lax.integer_pow (binary exponentiation, one rounding per multiply) for an integer
     * exponent and lax.pow otherwise.
     */
    static float pow(float x, double p) {
        if (p == Math.rint(p) && Math.abs(p) <= 1 << 20) {
            return integerPow(x, (int) p);
        }
        return (float) StrictMath.pow(x, (float) p);
    }

    /** lax.integer_pow's square-and-multiply order. */
    static float integerPow(float x, int n) {
        if (n == 0) {
            return 1f;
        }
        boolean negative = n < 0;
        int y = Math.abs(n);
        float acc = Float.NaN;
        boolean started = false;
        float base = x;
        while (y > 0) {
            if ((y & 1) != 0) {
                acc = started ? acc * base : base;
                started = true;
            }
            y >>= 1;
            if (y > 0) {
                base = base * base;
            }
        }
        return negative ? 1f / acc : acc;
    }
}
