package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.RowKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Fused softmax, log-softmax and softmax cross-entropy, forward and backward, with PyTorch's semantics
 * (F.softmax, F.log_softmax, F.cross_entropy). Rows along the last dim run on SIMD row kernels; other dims are
 * moved last with a transpose and a contiguous copy. Rows run in parallel; each row's result is independent of the
 * thread count.
 */
public final class Softmax {
    /** PyTorch's default ignore_index for cross-entropy. */
    public static final long DEFAULT_IGNORE_INDEX = -100;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private Softmax() {}

    /**
     * Saved state of {@link #crossEntropy}: loss is a float32 scalar (the mean over counted rows), logSumExp: (N)
     * holds log(sum_c exp(logits[n, c])) per row (0 for ignored rows), count is the number of rows not ignored.
     * labelSmoothing and ignoreIndex are the arguments the loss was made with, so backward reuses them.
     */
    public record CrossEntropyResult(Tensor loss, Tensor logSumExp, int count, float labelSmoothing,
                                     long ignoreIndex) {}

    private enum Kind { SOFTMAX, LOG_SOFTMAX }

    /**
     * y = softmax(x) along dim: y[..., i, ...] = exp(x_i - max) / sum_j exp(x_j - max). x: any shape, float32;
     * returns a new contiguous tensor of x's shape. A size-0 dim gives an empty result.
     */
    public static Tensor softmax(Tensor x, int dim) {
        return forward("softmax", Kind.SOFTMAX, x, dim);
    }

    /** y = log_softmax(x) along dim: y_i = x_i - max - log(sum_j exp(x_j - max)). Shapes as {@link #softmax}. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return forward("logSoftmax", Kind.LOG_SOFTMAX, x, dim);
    }

    /**
     * Gradient of softmax: with y = softmax(x, dim), returns dX = y * (dY - sum_dim(dY * y)). y and dY: same shape,
     * float32; returns a new tensor of that shape.
     */
    public static Tensor softmaxBackward(Tensor y, Tensor dY, int dim) {
        return backward("softmaxBackward", Kind.SOFTMAX, y, dY, dim);
    }

    /**
     * Gradient of log-softmax: with y = logSoftmax(x, dim), returns dX = dY - exp(y) * sum_dim(dY). y and dY: same
     * shape, float32.
     */
    public static Tensor logSoftmaxBackward(Tensor y, Tensor dY, int dim) {
        return backward("logSoftmaxBackward", Kind.LOG_SOFTMAX, y, dY, dim);
    }

    private static Tensor forward(String op, Kind kind, Tensor x, int dim) {
        requireF32(op, "x", x);
        Tensor x1 = x.rank() == 0 ? x.reshape(1) : x;
        int d = Shape.axis(op, x.rank() == 0 && (dim == 0 || dim == -1) ? 0 : dim, x1.rank());
        int last = x1.rank() - 1;
        Tensor out;
        try (Dense xd = Dense.of(d == last ? x1 : x1.transpose(d, last))) {
            out = Tensor.empty(DType.F32, xd.tensor().shape());
            int n = xd.tensor().dim(last);
            int rows = n == 0 ? 0 : (int) (xd.tensor().numel() / n);
            MemorySegment ys = out.segment();
            Rows.forEach(rows, n, (r, at) -> {
                if (kind == Kind.SOFTMAX) {
                    RowKernels.softmax(xd.seg, xd.off + at, ys, at, n, 1f);
                } else {
                    RowKernels.logSoftmax(xd.seg, xd.off + at, ys, at, n);
                }
            });
        }
        return restore(out, d, last, x.shape());
    }

    private static Tensor backward(String op, Kind kind, Tensor y, Tensor dY, int dim) {
        requireF32(op, "y", y);
        requireF32(op, "dY", dY);
        if (!Shape.same(y.shape(), dY.shape())) {
            throw new ShapeMismatchException(op, "y and dY of equal shape", "y=" + Shape.str(y.shape())
                    + ", dY=" + Shape.str(dY.shape()), null);
        }
        Tensor y1 = y.rank() == 0 ? y.reshape(1) : y;
        Tensor g1 = dY.rank() == 0 ? dY.reshape(1) : dY;
        int d = Shape.axis(op, y.rank() == 0 && (dim == 0 || dim == -1) ? 0 : dim, y1.rank());
        int last = y1.rank() - 1;
        Tensor out;
        try (Dense yd = Dense.of(d == last ? y1 : y1.transpose(d, last));
             Dense gd = Dense.of(d == last ? g1 : g1.transpose(d, last))) {
            out = Tensor.empty(DType.F32, yd.tensor().shape());
            int n = yd.tensor().dim(last);
            int rows = n == 0 ? 0 : (int) (yd.tensor().numel() / n);
            MemorySegment xs = out.segment();
            Rows.forEach(rows, n, (r, at) -> {
                if (kind == Kind.SOFTMAX) {
                    RowKernels.softmaxBackward(yd.seg, yd.off + at, gd.seg, gd.off + at, xs, at, n, 1f);
                } else {
                    RowKernels.logSoftmaxBackward(yd.seg, yd.off + at, gd.seg, gd.off + at, xs, at, n);
                }
            });
        }
        return restore(out, d, last, y.shape());
    }

    /** Moves dim d back from last place: out has dims d and last swapped; returns a contiguous tensor of shape. */
    private static Tensor restore(Tensor out, int d, int last, int[] shape) {
        if (d == last) {
            return shape.length == out.rank() ? out : out.reshape(shape);
        }
        Tensor r = Tensor.empty(DType.F32, shape);
        r.copyFrom(out.transpose(d, last));
        out.close();
        return r;
    }

    /** Cross-entropy with PyTorch's defaults: no label smoothing, ignoreIndex -100, mean reduction. */
    public static CrossEntropyResult crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, 0f, DEFAULT_IGNORE_INDEX);
    }

    /**
     * Mean softmax cross-entropy, as F.cross_entropy(logits, targets, label_smoothing=eps, ignore_index=ignoreIndex,
     * reduction='mean'). logits: (N, C) float32; targets: (N) int32 or int64, each in [0, C) or equal to
     * ignoreIndex. The target distribution of row n is q = (1 - eps) * onehot(t_n) + eps / C, and its loss is
     * -sum_c q_c log softmax(logits[n])_c. Rows whose target is ignoreIndex are left out of the sum and the count;
     * if every row is ignored the loss is NaN (0/0, as in PyTorch).
     *
     * @throws IllegalArgumentException when a target is outside [0, C) (naming its position and value), eps is
     *     outside [0, 1], or shapes and dtypes do not fit
     */
    public static CrossEntropyResult crossEntropy(Tensor logits, Tensor targets, float labelSmoothing,
                                                  long ignoreIndex) {
        final String op = "crossEntropy";
        long[] t = checkCrossEntropy(op, logits, targets, labelSmoothing, ignoreIndex);
        int rows = logits.dim(0);
        int classes = logits.dim(1);
        Tensor lse;
        double[] rowLoss = new double[rows];
        try (Dense ld = Dense.of(logits)) {
            lse = Tensor.zeros(rows);
            MemorySegment xs = ld.seg;
            MemorySegment ls = lse.segment();
            double eps = labelSmoothing;
            Rows.forEach(rows, classes, (r, at) -> {
                if (t[r] == ignoreIndex) {
                    return;
                }
                long o = ld.off + at;
                float m = RowKernels.max(xs, o, classes);
                double logSumExp = m + StrictMath.log(RowKernels.sumExpShifted(xs, o, classes, m));
                ls.setAtIndex(F32, r, (float) logSumExp);
                // loss = -sum_c q_c (x_c - lse) = lse - (1 - eps) x_t - (eps / C) sum_c x_c, since sum_c q_c = 1
                double xt = xs.getAtIndex(F32, o + t[r]);
                double smooth = eps == 0 ? 0 : eps / classes * RowKernels.sum(xs, o, classes);
                rowLoss[r] = logSumExp - (1 - eps) * xt - smooth;
            });
        }
        int count = 0;
        double total = 0;
        for (int r = 0; r < rows; r++) {           // fixed order: the loss does not depend on the thread count
            if (t[r] != ignoreIndex) {
                count++;
                total += rowLoss[r];
            }
        }
        Tensor loss = Tensor.scalar((float) (total / count));
        return new CrossEntropyResult(loss, lse, count, labelSmoothing, ignoreIndex);
    }

    /**
     * Gradient of {@link #crossEntropy} with respect to the logits: dLogits[n] = dLoss * (softmax(logits[n]) - q_n)
     * / count for counted rows, 0 for ignored rows (and everywhere when count is 0). logits and targets must be the
     * ones the forward saw; saved is its result. Returns a new (N, C) float32 tensor.
     */
    public static Tensor crossEntropyBackward(Tensor logits, Tensor targets, CrossEntropyResult saved, float dLoss) {
        final String op = "crossEntropyBackward";
        long[] t = checkCrossEntropy(op, logits, targets, saved.labelSmoothing(), saved.ignoreIndex());
        int rows = logits.dim(0);
        int classes = logits.dim(1);
        if (saved.logSumExp().rank() != 1 || saved.logSumExp().dim(0) != rows) {
            throw new ShapeMismatchException(op, "saved logSumExp of shape (N) = (" + rows + ")",
                    saved.logSumExp().describe(), "pass the CrossEntropyResult made from these logits");
        }
        try (Dense xd = Dense.of(logits); Dense ld = Dense.of(saved.logSumExp())) {
            Tensor dLogits = Tensor.zeros(rows, classes);
            if (saved.count() == 0) {
                return dLogits;
            }
            MemorySegment ds = dLogits.segment();
            float scale = dLoss / saved.count();
            float eps = saved.labelSmoothing();
            float add = -scale * eps / classes;
            float hit = scale * (1 - eps);
            long ignore = saved.ignoreIndex();
            Rows.forEach(rows, classes, (r, at) -> {
                if (t[r] == ignore) {
                    return;
                }
                float shift = ld.seg.getAtIndex(F32, ld.off + r);
                // dLoss/count * (p_c - eps/C), then the target column loses dLoss/count * (1 - eps)
                RowKernels.expShiftScale(xd.seg, xd.off + at, ds, at, classes, shift, scale, add);
                long ot = at + t[r];
                ds.setAtIndex(F32, ot, ds.getAtIndex(F32, ot) - hit);
            });
            return dLogits;
        }
    }

    private static long[] checkCrossEntropy(String op, Tensor logits, Tensor targets, float eps, long ignoreIndex) {
        requireF32(op, "logits", logits);
        if (logits.rank() != 2) {
            throw new ShapeMismatchException(op, "logits: (N, C)", "logits=" + logits.describe(),
                    logits.rank() > 2 ? "flatten the leading dims with reshape(-1, C)" : null);
        }
        if (targets.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": expected targets of dtype i32 or i64 (class indices); got "
                    + targets.describe());
        }
        if (targets.rank() != 1 || targets.dim(0) != logits.dim(0)) {
            throw new ShapeMismatchException(op, "logits: (N, C), targets: (N)", "logits="
                    + Shape.str(logits.shape()) + ", targets=" + Shape.str(targets.shape()), null);
        }
        if (!(eps >= 0f && eps <= 1f)) {
            throw new IllegalArgumentException(op + ": labelSmoothing must be in [0, 1]; got " + eps);
        }
        long[] t = targets.toLongArray();
        int classes = logits.dim(1);
        for (int i = 0; i < t.length; i++) {
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= classes)) {
                throw new IllegalArgumentException(op + ": target " + t[i] + " at position " + i
                        + " is out of range for " + classes + " classes (expected 0 to " + (classes - 1)
                        + " or ignoreIndex " + ignoreIndex + ")");
            }
        }
        return t;
    }

    static void requireF32(String op, String name, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": expected " + name + " of dtype f32; got " + t.describe()
                    + "; hint: convert with .to(DType.F32)");
        }
    }
}
