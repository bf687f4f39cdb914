package dev.tiller.optim;

/**
 * Validation of hyperparameters, stricter than PyTorch's (which accepts a NaN learning rate for SGD and an infinite
 * eps for Adam): every value must be finite and in range. Called from the compact constructors of the hyperparameter
 * records, so it runs at construction, on every change (a change is a new record) and on load.
 * Messages name the optimizer, the hyperparameter, the value and the allowed range:
 * {@code "AdamW: lr = NaN is not allowed; allowed range [0, +inf), finite"}.
 */
public final class Check {
    private Check() {}

    /** Requires lo <= v <= hi (closed), v finite. */
    public static float closed(String owner, String name, float v, double lo, double hi) {
        if (!Float.isFinite(v) || v < lo || v > hi) {
            throw fail(owner, name, v, "[" + fmt(lo) + ", " + fmt(hi) + "]");
        }
        return v;
    }

    /** Requires lo <= v < hi, v finite. */
    public static float halfOpen(String owner, String name, float v, double lo, double hi) {
        if (!Float.isFinite(v) || v < lo || v >= hi) {
            throw fail(owner, name, v, "[" + fmt(lo) + ", " + fmt(hi) + ")");
        }
        return v;
    }

    /** Requires v >= 0, finite. */
    public static float nonNegative(String owner, String name, float v) {
        if (!Float.isFinite(v) || v < 0) {
            throw fail(owner, name, v, "[0, +inf)");
        }
        return v;
    }

    /** Requires v > 0, finite. */
    public static float positive(String owner, String name, float v) {
        if (!Float.isFinite(v) || v <= 0) {
            throw fail(owner, name, v, "(0, +inf)");
        }
        return v;
    }

    /** Requires an integer v >= lo. */
    public static int atLeast(String owner, String name, int v, int lo) {
        if (v < lo) {
            throw new IllegalArgumentException(owner + ": " + name + " = " + v + " is not allowed; allowed range ["
                    + lo + ", +inf)");
        }
        return v;
    }

    private static IllegalArgumentException fail(String owner, String name, float v, String range) {
        return new IllegalArgumentException(owner + ": " + name + " = " + v + " is not allowed; allowed range " + range
                + ", finite");
    }

    private static String fmt(double d) {
        if (d == Double.POSITIVE_INFINITY) {
            return "+inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
