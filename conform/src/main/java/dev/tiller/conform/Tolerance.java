package dev.tiller.conform;

import java.util.Locale;

/**
 * The golden files' element-wise rule: a value passes when |actual - expected| <= atol + rtol * |expected|.
 * NaN matches NaN and an infinity matches the same infinity; anything else non-finite fails.
 */
public final class Tolerance {
    private Tolerance() {}

    /**
     * The outcome of comparing one array: whether all elements pass, and the element with the largest excess
     * |diff| - tol (the worst), with its expected and actual values.
     */
    public record Worst(boolean pass, String what, int index, double expected, double actual, double tolerance) {
        /** "what[index]: expected e, actual a (|diff| d, tol t)". */
        public String describe() {
            if (index < 0) {
                return what + ": empty";
            }
            return String.format(Locale.ROOT, "%s[%d]: expected %.8g, actual %.8g (|diff| %.3g, tol %.3g)",
                    what, index, expected, actual, Math.abs(actual - expected), tolerance);
        }
    }

    /** Compares float actuals with expected; each is widened exactly to double, so this is the rule below. */
    public static Worst compare(String what, double[] expected, float[] actual, double atol, double rtol) {
        double[] wide = new double[actual.length];
        for (int i = 0; i < actual.length; i++) {
            wide[i] = actual[i];
        }
        return compare(what, expected, wide, atol, rtol);
    }

    /** Compares actual with expected (equal lengths required; the caller checks shapes). */
    public static Worst compare(String what, double[] expected, double[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            return new Worst(false, what + " (length " + actual.length + " vs expected " + expected.length + ")", 0,
                    Double.NaN, Double.NaN, 0);
        }
        int worst = -1;
        double worstExcess = Double.NEGATIVE_INFINITY;
        boolean pass = true;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double tol = atol + rtol * Math.abs(e);
            double excess;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                excess = Double.isNaN(e) && Double.isNaN(a) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                excess = e == a ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            } else {
                excess = Math.abs(a - e) - tol;
            }
            if (excess > 0) {
                pass = false;
            }
            if (worst < 0 || excess > worstExcess) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst < 0) {
            return new Worst(true, what, -1, 0, 0, 0);
        }
        return new Worst(pass, what, worst, expected[worst], actual[worst],
                atol + rtol * Math.abs(expected[worst]));
    }
}
