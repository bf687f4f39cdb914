package dev.tiller.tensor;

import java.util.Arrays;

/**
 * Static helpers for shapes held as {@code int[]} (dims) and strides held as {@code long[]} (in elements).
 * Shapes are never mutated after a tensor is made; these methods return fresh arrays.
 */
public final class Shape {
    private Shape() {}

    /** Number of elements of a shape; 1 for rank 0. Throws if any dim is negative. */
    public static long numel(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + str(dims) + " has a negative dimension");
            }
            n *= d;
        }
        return n;
    }

    /** Row-major contiguous strides (elements) for dims. */
    public static long[] contiguousStrides(int[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(dims[i], 1);
        }
        return s;
    }

    /** "(2, 3, 4)"; "()" for a scalar. */
    public static String str(int[] dims) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(dims[i]);
        }
        return b.append(')').toString();
    }

    /** Normalises a possibly negative axis against rank; op names the caller for the message. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for rank " + rank
                    + " (allowed " + (-rank) + " to " + (rank - 1) + ")");
        }
        return a;
    }

    /**
     * NumPy broadcasting of two shapes: dims are aligned at the right; each pair must be equal or contain 1.
     * @throws ShapeMismatchException naming op and both shapes
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new ShapeMismatchException(op, "shapes that broadcast (equal dims or 1, aligned at the right)",
                        "a=" + str(a) + ", b=" + str(b),
                        "dimension " + i + " of the result gets " + da + " vs " + db
                                + "; reshape or unsqueeze one operand so its dims line up");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides that read a tensor of shape src/strides as if it had shape target (right-aligned broadcast):
     * broadcast dims get stride 0.
     */
    public static long[] broadcastStrides(int[] src, long[] strides, int[] target) {
        long[] out = new long[target.length];
        int shift = target.length - src.length;
        for (int i = 0; i < target.length; i++) {
            int j = i - shift;
            if (j < 0 || (src[j] == 1 && target[i] != 1)) {
                out[i] = 0;
            } else {
                out[i] = strides[j];
            }
        }
        return out;
    }

    /** True when two shapes are identical. */
    public static boolean same(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }
}
