package dev.tiller.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Random test inputs from Philox, so every test input is reproducible from its seed. */
public final class TestData {
    private TestData() {}

    /** A float32 tensor, uniform in [lo, hi), from (seed, stream 7). */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        return Tensor.uniform(seed, 7, lo, hi, shape);
    }

    /** Max over i of |a[i] - b[i]| for two arrays of equal length. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Bitwise equality of two float arrays (NaN payloads included). */
    public static boolean bitwiseEqual(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    /** A segment of n floats from (seed, stream 11) in [lo, hi). */
    public static MemorySegment segment(Arena arena, int n, long seed, float lo, float hi) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4L, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, lo + (hi - lo) * Philox.uniform(seed, 11, i));
        }
        return s;
    }
}
