package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ReduceKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Reductions of float32 tensors over any set of dims: sum, mean, amax, amin, logsumexp, var; argmax and argmin
 * along one dim; and sumTo, which undoes broadcasting for autograd. dims may be negative (counted from the end);
 * an empty dims array means all dims. keepDim keeps reduced dims as size 1 (PyTorch keepdim).
 *
 * <p>Method: the input is viewed with the kept dims first and the reduced dims last (copied dense only when that
 * view is not contiguous), so each output reduces one contiguous row of R elements. Sums over a block of leading or
 * middle dims of a contiguous input, such as (B, T, C) -&gt; (C), skip the copy and add whole rows into per-column
 * double accumulators instead (see Layout.sums). Each row is cut into fixed
 * chunks of 16384 elements; a chunk's partial is computed by one kernel call (sums widen to double and add in
 * double), and a row's partials are combined in chunk order on the calling thread. The blocking depends only on
 * the shape, so results are bitwise identical for any thread count. Results round to float once at the end.
 *
 * <p>Empty reductions (R = 0) follow PyTorch: sum 0, mean NaN, var NaN, logsumexp -inf; amax, amin, argmax and
 * argmin throw, naming the op. NaN: amax and amin return NaN for a row holding a NaN; argmax and argmin return the
 * index of the first NaN.
 */
public final class Reduce {
    private static final int CHUNK = Broadcast.CHUNK;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    /** Columns per task of the column-sum path (the double accumulators stay in L1). */
    private static final int COLUMN_BLOCK = 2048;

    private enum Kind { SUM, SQDEV, SUMEXP, MAX, MIN }

    private Reduce() {}

    /** Sum of all elements: any shape -&gt; rank 0. */
    public static Tensor sum(Tensor x) {
        return sum(x, new int[0], false);
    }

    /** Sum over dims (empty = all): e.g. (B, T, C) over {0, 1} -&gt; (C), or (1, 1, C) with keepDim. */
    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        Layout l = Layout.of("sum", x, dims, keepDim);
        double[] s = l.sums();
        return l.output(i -> s[i]);
    }

    /** Mean over dims (empty = all); NaN for an empty reduction. */
    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        Layout l = Layout.of("mean", x, dims, keepDim);
        double[] s = l.sums();
        return l.output(i -> s[i] / l.reduced);
    }

    /** Maximum over dims (empty = all); NaN where the reduced elements hold a NaN; throws for R = 0. */
    public static Tensor amax(Tensor x, int[] dims, boolean keepDim) {
        Layout l = Layout.of("amax", x, dims, keepDim).requireNonEmpty();
        double[] m = l.rows(Kind.MAX, null);
        return l.output(i -> m[i]);
    }

    /** Minimum over dims (empty = all); NaN where the reduced elements hold a NaN; throws for R = 0. */
    public static Tensor amin(Tensor x, int[] dims, boolean keepDim) {
        Layout l = Layout.of("amin", x, dims, keepDim).requireNonEmpty();
        double[] m = l.rows(Kind.MIN, null);
        return l.output(i -> m[i]);
    }

    /**
     * log(sum(exp(x))) over dims (empty = all), stable: m + log(sum(exp(x - m))) with m the maximum, and m taken
     * as 0 where it is infinite (PyTorch), so all -inf gives -inf and a +inf gives +inf. -inf for R = 0.
     */
    public static Tensor logsumexp(Tensor x, int[] dims, boolean keepDim) {
        Layout l = Layout.of("logsumexp", x, dims, keepDim);
        double[] shift = l.reduced == 0 ? new double[l.outer] : l.rows(Kind.MAX, null);
        for (int i = 0; i < shift.length; i++) {
            shift[i] = Double.isInfinite(shift[i]) ? 0.0 : shift[i];
        }
        double[] s = l.rows(Kind.SUMEXP, shift);
        return l.output(i -> StrictMath.log(s[i]) + shift[i]);
    }

    /**
     * Variance over dims (empty = all) with Bessel-style correction: sum((x - mean)^2) / max(0, R - correction),
     * two passes (mean, then squared deviations, both in double). PyTorch's default correction is 1; a divisor of
     * 0 gives inf or NaN, as PyTorch. correction must be &gt;= 0.
     */
    public static Tensor var(Tensor x, int[] dims, int correction, boolean keepDim) {
        if (correction < 0) {
            throw new IllegalArgumentException("var: expected a correction >= 0; got " + correction);
        }
        Layout l = Layout.of("var", x, dims, keepDim);
        double[] mean = l.rows(Kind.SUM, null);
        for (int i = 0; i < mean.length; i++) {
            mean[i] /= l.reduced;
        }
        double[] ss = l.rows(Kind.SQDEV, mean);
        double divisor = Math.max(0, l.reduced - correction);
        return l.output(i -> ss[i] / divisor);
    }

    /**
     * Index of the maximum along dim, first occurrence on ties, first NaN if any (PyTorch argmax). Result is int64
     * with dim removed, or kept as size 1 with keepDim. Throws when dim has size 0.
     */
    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        return arg("argmax", x, dim, keepDim, true);
    }

    /** Index of the minimum along dim, first occurrence on ties, first NaN if any (PyTorch argmin). int64. */
    public static Tensor argmin(Tensor x, int dim, boolean keepDim) {
        return arg("argmin", x, dim, keepDim, false);
    }

    /**
     * Sums a broadcast result g back to an operand's shape, the adjoint of broadcasting: leading dims that shape
     * lacks are summed away, and dims where shape has 1 and g does not are summed with the 1 kept. Example:
     * g: (B, T, C), shape (C) -&gt; (C); shape (B, 1, C) -&gt; (B, 1, C). Returns a new tensor of exactly shape
     * (a dense copy when nothing needs reducing). The autograd engine calls it once per broadcast input.
     */
    public static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        int shift = gs.length - shape.length;
        boolean ok = shift >= 0;
        for (int i = 0; ok && i < shape.length; i++) {
            ok = shape[i] == gs[i + shift] || shape[i] == 1;
        }
        if (!ok) {
            throw new ShapeMismatchException("sumTo", "a target shape that broadcasts to the gradient's shape",
                    "gradient " + Shape.str(gs) + ", target " + Shape.str(shape),
                    "the target must be the shape of an operand that was broadcast to the gradient's shape");
        }
        int[] dims = new int[gs.length];
        int k = 0;
        for (int d = 0; d < gs.length; d++) {
            if (d < shift || (shape[d - shift] == 1 && gs[d] != 1)) {
                dims[k++] = d;
            }
        }
        if (k == 0) {
            Tensor out = Tensor.empty(g.dtype(), shape);
            out.copyFrom(g.reshape(shape));
            return out;
        }
        Layout l = Layout.of("sumTo", g, Arrays.copyOf(dims, k), false);
        double[] s = l.sums();
        return l.output(shape, i -> s[i]);
    }

    private static Tensor arg(String op, Tensor x, int dim, boolean keepDim, boolean max) {
        Layout l = Layout.of(op, x, new int[] {Shape.axis(op, dim, x.rank())}, keepDim).requireNonEmpty();
        Tensor out = Tensor.empty(DType.I64, l.outShape);
        Tensor dn = l.dense();
        MemorySegment xs = dn.segment();
        MemorySegment os = out.segment();
        long xo = dn.offset();
        long oo = out.offset();
        int r = l.reduced;
        Parallel.forRange(l.outer, Math.max(1, CHUNK / r), (s, e) -> {
            for (int i = s; i < e; i++) {
                long base = xo + (long) i * r;
                int idx = max ? ReduceKernels.argmax(xs, base, r) : ReduceKernels.argmin(xs, base, r);
                os.setAtIndex(I64, oo + i, idx);
            }
        });
        l.release();
        return out;
    }

    /** Per-output values in double, indexed by output position. */
    @FunctionalInterface
    private interface RowValue {
        double at(int i);
    }

    /** x viewed as (outer, reduced) rows: kept dims first, reduced dims last, dense. */
    private static final class Layout {
        final String op;
        final Tensor x;
        final int[] perm;        // kept dims, then reduced dims
        final boolean[] red;     // red[d]: dim d is reduced
        Tensor dense;            // x.permute(perm) made contiguous (possibly a copy), made on first use
        final int outer;
        final int reduced;
        final int[] outShape;

        private Layout(String op, Tensor x, int[] perm, boolean[] red, int outer, int reduced, int[] outShape) {
            this.op = op;
            this.x = x;
            this.perm = perm;
            this.red = red;
            this.outer = outer;
            this.reduced = reduced;
            this.outShape = outShape;
        }

        static Layout of(String op, Tensor x, int[] dims, boolean keepDim) {
            Broadcast.requireF32(op, "input", x);
            int r = x.rank();
            boolean[] red = new boolean[r];
            if (dims.length == 0) {
                Arrays.fill(red, true);
            }
            for (int d : dims) {
                int a = Shape.axis(op, d, r);
                if (red[a]) {
                    throw new IllegalArgumentException(op + ": dim " + a + " appears twice in "
                            + Arrays.toString(dims) + " for " + x.describe());
                }
                red[a] = true;
            }
            int[] shape = x.shape();
            int[] perm = new int[r];
            int k = 0;
            long outer = 1;
            long reduced = 1;
            for (int d = 0; d < r; d++) {
                if (!red[d]) {
                    perm[k++] = d;
                    outer *= shape[d];
                }
            }
            int kept = k;
            for (int d = 0; d < r; d++) {
                if (red[d]) {
                    perm[k++] = d;
                    reduced *= shape[d];
                }
            }
            if (outer * Math.max(1, reduced) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": at most 2^31 - 1 elements, got " + x.describe());
            }
            int[] out = new int[keepDim ? r : kept];
            for (int d = 0, j = 0; d < r; d++) {
                if (keepDim) {
                    out[d] = red[d] ? 1 : shape[d];
                } else if (!red[d]) {
                    out[j++] = shape[d];
                }
            }
            return new Layout(op, x, perm, red, (int) outer, (int) reduced, out);
        }

        Layout requireNonEmpty() {
            if (reduced == 0) {
                release();
                throw new IllegalArgumentException(op + ": cannot reduce over an empty dimension (0 elements "
                        + "to reduce) of " + x.describe() + "; the result would be undefined (PyTorch errors too)");
            }
            return this;
        }

        /**
         * Per-row results of kind, each row in fixed chunks of CHUNK combined in order. param: per-row mean (SQDEV)
         * or shift (SUMEXP). An empty row gives the kind's identity (0, -inf, +inf).
         */
        double[] rows(Kind kind, double[] param) {
            final int r = reduced;
            final int perRow = Math.max(1, (r + CHUNK - 1) / CHUNK);
            double[] part = new double[outer * perRow];
            Tensor dn = dense();
            MemorySegment xs = dn.segment();
            long xo = dn.offset();
            int tasksPerChunk = r >= CHUNK ? 1 : Math.max(1, CHUNK / Math.max(1, r));
            Parallel.forRange(outer * perRow, tasksPerChunk, (s, e) -> {
                for (int t = s; t < e; t++) {
                    int row = t / perRow;
                    int c = t - row * perRow;
                    long off = xo + (long) row * r + (long) c * CHUNK;
                    int len = Math.min(CHUNK, r - c * CHUNK);
                    part[t] = chunk(kind, xs, off, len, param == null ? 0 : param[row]);
                }
            });
            double[] res = new double[outer];
            for (int row = 0; row < outer; row++) {
                double acc = part[row * perRow];
                for (int c = 1; c < perRow; c++) {
                    double v = part[row * perRow + c];
                    acc = switch (kind) {
                        case MAX -> Math.max(acc, v);
                        case MIN -> Math.min(acc, v);
                        default -> acc + v;
                    };
                }
                res[row] = acc;
            }
            return res;
        }

        private static double chunk(Kind kind, MemorySegment xs, long off, int len, double param) {
            if (len <= 0) {
                return switch (kind) {
                    case MAX -> Double.NEGATIVE_INFINITY;
                    case MIN -> Double.POSITIVE_INFINITY;
                    default -> 0.0;
                };
            }
            return switch (kind) {
                case SUM -> ReduceKernels.sum(xs, off, len);
                case SQDEV -> ReduceKernels.sumSquaredDeviation(xs, off, len, param);
                case SUMEXP -> ReduceKernels.sumExp(xs, off, len, (float) param);
                case MAX -> ReduceKernels.max(xs, off, len);
                case MIN -> ReduceKernels.min(xs, off, len);
            };
        }

        Tensor output(RowValue v) {
            return output(outShape, v);
        }

        /** A new float32 tensor of shape (numel = outer) with element i = (float) v.at(i); releases the copy. */
        Tensor output(int[] shape, RowValue v) {
            Tensor out = Tensor.empty(DType.F32, shape);
            MemorySegment os = out.segment();
            long oo = out.offset();
            for (int i = 0; i < outer; i++) {
                os.setAtIndex(ValueLayout.JAVA_FLOAT, oo + i, (float) v.at(i));
            }
            release();
            return out;
        }

        Tensor dense() {
            if (dense == null) {
                dense = Broadcast.dense(x.permute(perm));
            }
            return dense;
        }

        void release() {
            if (dense != null && dense != x && !dense.sharesStorage(x)) {
                dense.close();
            }
        }

        /**
         * Per-output sums. When x is contiguous and its reduced dims (ignoring size-1 dims) form one consecutive
         * block followed by kept dims, x is (A, R, K) in memory and output (a, k) is the column sum over r of
         * x[a][r][k]: summed in place, without the transposing copy, by ReduceKernels.sumColumns over column blocks
         * of 2048 (each column in double, in row order). Otherwise the row path of rows(SUM).
         */
        double[] sums() {
            long[] ark = blockShape();
            if (ark == null) {
                return rows(Kind.SUM, null);
            }
            final int a = (int) ark[0];
            final int r = (int) ark[1];
            final int k = (int) ark[2];
            final int blocks = (k + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
            double[] res = new double[a * k];
            MemorySegment xs = x.segment();
            long xo = x.offset();
            Parallel.forRange(a * blocks, 1, (s, e) -> {
                for (int t = s; t < e; t++) {
                    int ai = t / blocks;
                    int c0 = (t - ai * blocks) * COLUMN_BLOCK;
                    int len = Math.min(COLUMN_BLOCK, k - c0);
                    double[] acc = new double[len];
                    long off = xo + (long) ai * r * k + c0;
                    ReduceKernels.sumColumns(xs, off, r, k, len, acc);
                    System.arraycopy(acc, 0, res, ai * k + c0, len);
                }
            });
            return res;
        }

        /** {A, R, K} when x is contiguous with layout kept* reduced+ kept+ over its non-1 dims, else null. */
        private long[] blockShape() {
            if (!x.isContiguous() || reduced == 0 || outer == 0) {
                return null;
            }
            int[] s = x.shape();
            long a = 1;
            long r = 1;
            long k = 1;
            int phase = 0;                           // 0: leading kept, 1: reduced block, 2: trailing kept
            for (int d = 0; d < s.length; d++) {
                if (s[d] == 1) {
                    continue;
                }
                if (red[d]) {
                    if (phase == 2) {
                        return null;
                    }
                    phase = 1;
                    r *= s[d];
                } else if (phase == 0) {
                    a *= s[d];
                } else {
                    phase = 2;
                    k *= s[d];
                }
            }
            return phase == 2 ? new long[] {a, r, k} : null;
        }
    }
}
