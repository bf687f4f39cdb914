package dev.tiller.tensor.kernel.ref;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference reductions of one contiguous run of float32 values: sequential loops, sums in double. The ground truth
 * for SimdReduce; same signatures. Offsets and n are in elements.
 */
public final class RefReduce {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefReduce() {}

    /** sum of x[off .. off + n) in double; 0 for n = 0. */
    public static double sum(MemorySegment x, long off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F32, off + i);
        }
        return s;
    }

    /** sum of (x[i] - mean)^2 in double (the second pass of a two-pass variance). */
    public static double sumSquaredDeviation(MemorySegment x, long off, int n, double mean) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = x.getAtIndex(F32, off + i) - mean;
            s += d * d;
        }
        return s;
    }

    /** sum of e^(x[i] - shift), each term in double; the shifted sum of a stable logsumexp. */
    public static double sumExp(MemorySegment x, long off, int n, float shift) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += StrictMath.exp((double) x.getAtIndex(F32, off + i) - shift);
        }
        return s;
    }

    /** max of x[off .. off + n); NaN if any element is NaN (PyTorch amax); -inf for n = 0. */
    public static float max(MemorySegment x, long off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x.getAtIndex(F32, off + i));
        }
        return m;
    }

    /** min of x[off .. off + n); NaN if any element is NaN; +inf for n = 0. */
    public static float min(MemorySegment x, long off, int n) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.min(m, x.getAtIndex(F32, off + i));
        }
        return m;
    }

    /**
     * Index in [0, n) of the largest element, the first one on ties; a NaN counts as larger than everything, so the
     * first NaN wins (PyTorch argmax). n must be >= 1.
     */
    public static int argmax(MemorySegment x, long off, int n) {
        int best = 0;
        float m = x.getAtIndex(F32, off);
        for (int i = 1; i < n && !Float.isNaN(m); i++) {
            float v = x.getAtIndex(F32, off + i);
            if (v > m || Float.isNaN(v)) {
                m = v;
                best = i;
            }
        }
        return best;
    }

    /** Index of the smallest element, the first one on ties; the first NaN wins (PyTorch argmin). n >= 1. */
    public static int argmin(MemorySegment x, long off, int n) {
        int best = 0;
        float m = x.getAtIndex(F32, off);
        for (int i = 1; i < n && !Float.isNaN(m); i++) {
            float v = x.getAtIndex(F32, off + i);
            if (v < m || Float.isNaN(v)) {
                m = v;
                best = i;
            }
        }
        return best;
    }

    /**
     * acc[c] += sum over r in [0, rows) of x[off + r * ld + c], for c in [0, cols): column sums of a row-major
     * (rows, cols) block with leading dimension ld, each column accumulated in double in row order.
     */
    public static void sumColumns(MemorySegment x, long off, int rows, long ld, int cols, double[] acc) {
        for (int r = 0; r < rows; r++) {
            long base = off + r * ld;
            for (int c = 0; c < cols; c++) {
                acc[c] += x.getAtIndex(F32, base + c);
            }
        }
    }
}
