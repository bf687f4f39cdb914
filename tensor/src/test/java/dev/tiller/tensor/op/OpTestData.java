package dev.tiller.tensor.op;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.util.Arrays;

/** Random shapes and operand layouts (contiguous, transposed, strided, expanded) for the op-level properties. */
final class OpTestData {
    /** Dim sizes that cross vector widths and chunk tails, plus the 0 and 1 corners. */
    private static final int[] SIZES = {0, 1, 1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33, 64, 70};

    private OpTestData() {}

    /** A shape of rank 0..4 from seed with at most about maxElems elements (dims shrink to 1 past the budget). */
    static int[] shape(long seed, int maxElems) {
        int rank = Philox.below(seed, 20, 0, 5);
        int[] s = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            int d = SIZES[Philox.below(seed, 20, 1 + i, SIZES.length)];
            if (n * Math.max(d, 1) > maxElems) {
                d = 1;
            }
            s[i] = d;
            n *= Math.max(d, 1);
        }
        return s;
    }

    /** A shape that broadcasts to out: some leading dims dropped, some dims set to 1. */
    static int[] broadcastable(int[] out, long seed) {
        int drop = Philox.below(seed, 21, 0, out.length + 1);
        drop = Philox.below(seed, 21, 1, 2) == 0 ? 0 : drop;
        int[] s = new int[out.length - drop];
        for (int i = 0; i < s.length; i++) {
            s[i] = Philox.below(seed, 21, 2 + i, 3) == 0 ? 1 : out[i + drop];
        }
        return s;
    }

    /**
     * A float32 tensor of shape with values from seed in [lo, hi), laid out by kind: 0 contiguous, 1 a transposed
     * view (last two dims), 2 a view with stride 2 along dim 0, 3 size-1 dims expanded from one stored element.
     */
    static Tensor operand(int[] shape, int kind, long seed, float lo, float hi) {
        int r = shape.length;
        if (kind == 1 && r >= 2) {
            int[] sw = shape.clone();
            sw[r - 1] = shape[r - 2];
            sw[r - 2] = shape[r - 1];
            return Tensor.uniform(seed, 1, lo, hi, sw).transpose(r - 2, r - 1);
        }
        if (kind == 2 && r >= 1) {
            int[] big = shape.clone();
            big[0] = 2 * shape[0];
            return Tensor.uniform(seed, 1, lo, hi, big).slice(0, 0, big[0], 2);
        }
        if (kind == 3 && r >= 1) {
            int[] small = shape.clone();
            boolean any = false;
            for (int i = 0; i < r; i++) {
                if (Philox.below(seed, 22, i, 2) == 0) {
                    small[i] = 1;
                    any = true;
                }
            }
            if (any) {
                return Tensor.uniform(seed, 1, lo, hi, small).expand(shape);
            }
        }
        return Tensor.uniform(seed, 1, lo, hi, shape);
    }

    /** Row-major multi-index of flat position p in shape. */
    static int[] index(int[] shape, long p) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (p % shape[d]);
            p /= shape[d];
        }
        return idx;
    }

    /** The element of t (of a shape broadcastable to out) that output index idx reads. */
    static float at(Tensor t, int[] out, int[] idx) {
        int[] s = t.shape();
        int[] j = new int[s.length];
        for (int d = 0; d < s.length; d++) {
            j[d] = s[d] == 1 ? 0 : idx[d + out.length - s.length];
        }
        return t.getFloat(j);
    }

    static String str(Tensor t) {
        return Shape.str(t.shape()) + " strides " + Arrays.toString(t.strides());
    }
}
