package dev.tiller.tensor.op;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Philox;

import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test support for the row ops: reproducible random arrays, central finite differences of L = sum(out * r),
 * tolerance checks that print the worst element, and a thread-count switch.
 */
final class RowOpSupport {
    static final double U = 0x1p-24;

    private RowOpSupport() {}

    /** n floats uniform in [lo, hi) from Philox(seed, stream 3). */
    static float[] uniform(long seed, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * Philox.uniform(seed, 3, i);
        }
        return a;
    }

    /** L = sum_i out_i r_i, in double. */
    static double loss(float[] out, float[] r) {
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += (double) out[i] * r[i];
        }
        return s;
    }

    /**
     * Central differences (L(x + h e_i) - L(x - h e_i)) / 2h of L = sum(f(x) * r) for every element of x (small
     * inputs only). f must not keep or change its argument.
     */
    static double[] finiteDiff(float[] x, Function<float[], float[]> f, float[] r, float h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float[] p = x.clone();
            float[] m = x.clone();
            p[i] = x[i] + h;
            m[i] = x[i] - h;
            // the true step is the float difference actually applied
            g[i] = (loss(f.apply(p), r) - loss(f.apply(m), r)) / ((double) p[i] - m[i]);
        }
        return g;
    }

    /** Asserts |actual_i - expected_i| <= atol + rtol |expected_i| for all i, naming the worst element. */
    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        assertTrue(expected.length == actual.length, what + ": lengths " + expected.length + " vs " + actual.length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
            if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        int w = worst;
        assertTrue(w < 0, () -> what + ": element " + w + " expected " + expected[w] + " got " + actual[w]
                + " (atol " + atol + ", rtol " + rtol + ")");
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** Runs body with the given thread count, restoring the old count after. */
    static <T> T withThreads(int threads, Supplier<T> body) {
        int old = Parallel.threads();
        Parallel.setThreads(threads);
        try {
            return body.get();
        } finally {
            Parallel.setThreads(old);
        }
    }
}
