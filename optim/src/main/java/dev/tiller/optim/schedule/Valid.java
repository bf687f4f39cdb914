package dev.tiller.optim.schedule;

import java.util.List;

/**
 * Validation of schedule arguments, in double precision (schedules compute in double, like Python floats). Messages
 * follow {@link dev.tiller.optim.Check}: the schedule, the argument, the value and the allowed range.
 */
final class Valid {
    private Valid() {}

    static void step(long t) {
        if (t < 0) {
            throw new IllegalArgumentException("schedule: step t = " + t + " is not allowed; allowed range [0, +inf)");
        }
    }

    static double finite(String owner, String name, double v) {
        if (!Double.isFinite(v)) {
            throw fail(owner, name, v, "(-inf, +inf)");
        }
        return v;
    }

    static double nonNegative(String owner, String name, double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw fail(owner, name, v, "[0, +inf)");
        }
        return v;
    }

    static double positive(String owner, String name, double v) {
        if (!Double.isFinite(v) || v <= 0) {
            throw fail(owner, name, v, "(0, +inf)");
        }
        return v;
    }

    /** lo <= v <= hi. */
    static double closed(String owner, String name, double v, double lo, double hi) {
        if (!Double.isFinite(v) || v < lo || v > hi) {
            throw fail(owner, name, v, "[" + fmt(lo) + ", " + fmt(hi) + "]");
        }
        return v;
    }

    /** lo < v <= hi. */
    static double openClosed(String owner, String name, double v, double lo, double hi) {
        if (!Double.isFinite(v) || v <= lo || v > hi) {
            throw fail(owner, name, v, "(" + fmt(lo) + ", " + fmt(hi) + "]");
        }
        return v;
    }

    /** lo <= v < hi. */
    static double closedOpen(String owner, String name, double v, double lo, double hi) {
        if (!Double.isFinite(v) || v < lo || v >= hi) {
            throw fail(owner, name, v, "[" + fmt(lo) + ", " + fmt(hi) + ")");
        }
        return v;
    }

    /** lo < v < hi. */
    static double open(String owner, String name, double v, double lo, double hi) {
        if (!Double.isFinite(v) || v <= lo || v >= hi) {
            throw fail(owner, name, v, "(" + fmt(lo) + ", " + fmt(hi) + ")");
        }
        return v;
    }

    static long atLeast(String owner, String name, long v, long lo) {
        if (v < lo) {
            throw new IllegalArgumentException(owner + ": " + name + " = " + v + " is not allowed; allowed range ["
                    + lo + ", +inf)");
        }
        return v;
    }

    /** Non-negative values in increasing order: strictly when {@code strict}, else repeats allowed. */
    static void increasing(String owner, String name, List<Long> values, boolean strict) {
        for (int i = 0; i < values.size(); i++) {
            long v = values.get(i);
            if (v < 0) {
                throw new IllegalArgumentException(owner + ": " + name + " " + values + " has " + v + " at index " + i
                        + "; milestones must be >= 0");
            }
            if (i > 0) {
                long prev = values.get(i - 1);
                if (v < prev || (strict && v == prev)) {
                    throw new IllegalArgumentException(owner + ": " + name + " " + values + " must be "
                            + (strict ? "strictly increasing" : "non-decreasing") + ", but index " + i + " (" + v
                            + ") follows " + prev + "; hint: sort them");
                }
            }
        }
    }

    private static IllegalArgumentException fail(String owner, String name, double v, String range) {
        return new IllegalArgumentException(owner + ": " + name + " = " + v + " is not allowed; allowed range " + range
                + ", finite");
    }

    private static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
