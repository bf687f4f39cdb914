package dev.tiller.autograd;

import dev.tiller.tensor.CsrMatrix;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;
import dev.tiller.tensor.op.Unary;

/**
 * The differentiable functions, in the spirit of torch.nn.functional: each records one primitive op (or a short
 * composition of them) on the graph. Semantics follow PyTorch; shapes use B, T, C, N, H, W, V letters.
 * Every function validates its arguments and names itself in errors.
 */
public final class F {
    private F() {}

    // ---------------------------------------------------------------- movement

    /** x with a new shape (one dim may be -1); a view when x is contiguous. */
    public static Variable reshape(Variable x, int... shape) {
        return Engine.apply(new ShapeOps.Reshape(shape), x);
    }

    /** Dims reordered: result dim i is x's dim dims[i]. */
    public static Variable permute(Variable x, int... dims) {
        return Engine.apply(new ShapeOps.Permute(dims), x);
    }

    /** Two dims swapped. */
    public static Variable transpose(Variable x, int a, int b) {
        int r = x.value().rank();
        int[] p = new int[r];
        for (int i = 0; i < r; i++) {
            p[i] = i;
        }
        int i = Shape.axis("transpose", a, r);
        int j = Shape.axis("transpose", b, r);
        p[i] = j;
        p[j] = i;
        return permute(x, p);
    }

    /** Elements [start, end) of dim. */
    public static Variable slice(Variable x, int dim, int start, int end) {
        return slice(x, dim, start, end, 1);
    }

    /** Elements start, start+step, ... below end along dim. */
    public static Variable slice(Variable x, int dim, int start, int end, int step) {
        return Engine.apply(new ShapeOps.Slice(dim, start, end, step), x);
    }

    /** Concatenation along dim. */
    public static Variable cat(int dim, Variable... xs) {
        return Engine.apply(new ShapeOps.Cat(dim), xs);
    }

    /** x broadcast to shape (size-1 dims grow; new dims on the left). */
    public static Variable expand(Variable x, int... shape) {
        return Engine.apply(new ShapeOps.Expand(shape), x);
    }

    /** x with a size-1 dim inserted at dim. */
    public static Variable unsqueeze(Variable x, int dim) {
        int[] s = x.shape();
        int d = dim < 0 ? dim + s.length + 1 : dim;
        int[] out = new int[s.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) {
            out[i] = i == d ? 1 : s[j++];
        }
        return reshape(x, out);
    }

    // ---------------------------------------------------------------- products

    /**
     * torch.matmul: (..., M, K) @ (..., K, N) with broadcast batch dims, and 1-D operands promoted and squeezed as
     * {@link Linalg.VectorPromotion} says ((K) @ (K) is a rank-0 dot product).
     */
    public static Variable matmul(Variable a, Variable b) {
        Linalg.VectorPromotion p = Linalg.VectorPromotion.of(a.shape(), b.shape());
        Variable a2 = p.aVector() ? reshape(a, p.a(a.shape())) : a;
        Variable b2 = p.bVector() ? reshape(b, p.b(b.shape())) : b;
        Variable out = Engine.apply(new LinalgOps.MatMul(), a2, b2);
        return p.any() ? reshape(out, p.result(out.shape())) : out;
    }

    /** Sparse @ dense: a (N, M) constant CSR matrix times x (M, C) -> (N, C); the gradient flows to x. */
    public static Variable spmm(CsrMatrix a, Variable x) {
        return Engine.apply(new SparseOps.SpMM(a), x);
    }

    /** y = x @ w^T + b for x (..., Cin), w (Cout, Cin), b (Cout) or null: PyTorch's nn.Linear. */
    public static Variable linear(Variable x, Variable w, Variable b) {
        Variable y = matmul(x, transpose(w, 0, 1));
        return b == null ? y : add(y, b);
    }

    // ---------------------------------------------------------------- convolution and pooling

    /** conv2d with symmetric stride and padding, dilation 1, groups 1. */
    public static Variable conv2d(Variable x, Variable w, Variable bias, int stride, int padding) {
        return conv2d(x, w, bias, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {1, 1}, 1);
    }

    /** x (N, Cin, H, W), w (Cout, Cin/groups, kH, kW), bias (Cout) or null -> (N, Cout, Hout, Wout). */
    public static Variable conv2d(Variable x, Variable w, Variable bias, int[] stride, int[] padding, int[] dilation,
                                  int groups) {
        Op op = new ConvOps.Conv2d(stride, padding, dilation, groups);
        return bias == null ? Engine.apply(op, x, w) : Engine.apply(op, x, w, bias);
    }

    /** Max pooling with stride = kernel (null stride), zero padding, no dilation. */
    public static Variable maxPool2d(Variable x, int kernel) {
        return maxPool2d(x, new int[] {kernel, kernel}, null, new int[] {0, 0}, new int[] {1, 1}, false);
    }

    /** Max pooling with PyTorch's arguments; stride null means stride = kernel. */
    public static Variable maxPool2d(Variable x, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                     boolean ceilMode) {
        return Engine.apply(new ConvOps.MaxPool2d(kernel, stride, padding, dilation, ceilMode), x);
    }

    /** Average pooling with PyTorch's arguments; stride null means stride = kernel. */
    public static Variable avgPool2d(Variable x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                     boolean countIncludePad) {
        return Engine.apply(new ConvOps.AvgPool2d(kernel, stride, padding, ceilMode, countIncludePad), x);
    }

    /** Adaptive average pooling to (outH, outW). */
    public static Variable adaptiveAvgPool2d(Variable x, int outH, int outW) {
        return Engine.apply(new ConvOps.AdaptiveAvgPool2d(outH, outW), x);
    }

    // ---------------------------------------------------------------- normalisation

    /** Layer norm over the last dim of x (..., C); weight and bias (C) may be null. */
    public static Variable layerNorm(Variable x, Variable weight, Variable bias, float eps) {
        return Engine.apply(new NormOps.LayerNorm(eps), x, weight, bias);
    }

    /** RMS norm over the last dim of x (..., C); weight (C) may be null. */
    public static Variable rmsNorm(Variable x, Variable weight, float eps) {
        return Engine.apply(new NormOps.RmsNorm(eps), x, weight);
    }

    /**
     * Batch norm of x (N, C, H, W) in training mode (batch statistics; running stats, if given, updated in place
     * with momentum) or, when training is false, with the running statistics.
     */
    public static Variable batchNorm2d(Variable x, Variable weight, Variable bias, Tensor runningMean,
                                       Tensor runningVar, boolean training, float momentum, float eps) {
        if (!training) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batchNorm2d: evaluation mode needs running mean and variance");
            }
            // y = (x - mean) * invstd * w + b is affine in x: compose it so gradients still flow in eval mode.
            int c = x.shape()[1];
            Tensor invstd = Unary.rsqrt(Unary.addScalar(runningVar, eps));
            Variable mean = Variable.constant(runningMean.reshape(1, c, 1, 1));
            Variable scale = Variable.constant(invstd.reshape(1, c, 1, 1));
            Variable y = mul(sub(x, mean), scale);
            if (weight != null) {
                y = mul(y, reshape(weight, 1, c, 1, 1));
            }
            if (bias != null) {
                y = add(y, reshape(bias, 1, c, 1, 1));
            }
            return y;
        }
        return Engine.apply(new NormOps.BatchNorm2d(runningMean, runningVar, momentum, eps), x, weight, bias);
    }

    // ---------------------------------------------------------------- softmax, losses, lookup, attention

    /** Softmax along dim. */
    public static Variable softmax(Variable x, int dim) {
        return Engine.apply(new LossOps.SoftmaxOp(dim, false), x);
    }

    /** Log-softmax along dim. */
    public static Variable logSoftmax(Variable x, int dim) {
        return Engine.apply(new LossOps.SoftmaxOp(dim, true), x);
    }

    /** Mean cross-entropy of logits (N, C) against class indices targets (N); no smoothing. */
    public static Variable crossEntropy(Variable logits, Tensor targets) {
        return crossEntropy(logits, targets, 0f, -100, "mean");
    }

    /**
     * PyTorch's F.cross_entropy for logits (N, C) and integer targets (N): label smoothing mixes the one-hot target
     * with the uniform distribution, rows whose target is ignoreIndex are left out; reduction is "mean" (over the
     * rows not ignored), "sum" or "none" (per-row losses, (N)).
     */
    public static Variable crossEntropy(Variable logits, Tensor targets, float labelSmoothing, long ignoreIndex,
                                        String reduction) {
        switch (reduction) {
            case "mean":
                return Engine.apply(new LossOps.CrossEntropy(labelSmoothing, ignoreIndex), logits,
                        Variable.constant(targets));
            case "sum":
            case "none": {
                // Composed: loss_n = -sum_c q[n, c] * log_softmax(logits)[n, c], q the smoothed one-hot target
                // (zero for ignored rows).
                Tensor q = smoothedTargets("crossEntropy", logits.shape(), targets, labelSmoothing, ignoreIndex);
                Variable perRow = neg(sum(mul(logSoftmax(logits, -1), Variable.constant(q)), new int[] {-1}, false));
                return reduction.equals("sum") ? sum(perRow) : perRow;
            }
            default:
                throw new IllegalArgumentException("crossEntropy: reduction must be mean, sum or none, got '"
                        + reduction + "'");
        }
    }

    private static Tensor smoothedTargets(String op, int[] logitsShape, Tensor targets, float eps, long ignore) {
        if (logitsShape.length != 2) {
            throw new ShapeMismatchException(op, "logits (N, C)", Shape.str(logitsShape), "reshape to (N, C) first");
        }
        int n = logitsShape[0];
        int c = logitsShape[1];
        long[] t = targets.toLongArray();
        if (t.length != n) {
            throw new ShapeMismatchException(op, "targets (N) with N = " + n, Shape.str(targets.shape()), null);
        }
        float[] q = new float[n * c];
        for (int i = 0; i < n; i++) {
            if (t[i] == ignore) {
                continue;
            }
            if (t[i] < 0 || t[i] >= c) {
                throw new IllegalArgumentException(op + ": target " + t[i] + " at position " + i
                        + " is out of range for " + c + " classes");
            }
            for (int k = 0; k < c; k++) {
                q[i * c + k] = eps / c;
            }
            q[i * c + (int) t[i]] += 1f - eps;
        }
        return Tensor.of(q, n, c);
    }

    /** Mean (or "sum" / "none") of (x - y)^2. */
    public static Variable mseLoss(Variable x, Variable y, String reduction) {
        Variable d = sub(x, y);
        Variable sq = mul(d, d);
        return switch (reduction) {
            case "mean" -> mean(sq);
            case "sum" -> sum(sq);
            case "none" -> sq;
            default -> throw new IllegalArgumentException("mseLoss: reduction must be mean, sum or none, got '"
                    + reduction + "'");
        };
    }

    /** Rows of weight (V, C) selected by integer indices of any shape -> (..., C). */
    public static Variable embedding(Variable weight, Tensor indices) {
        if (indices.dtype() != DType.I32 && indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("embedding: indices must be i32 or i64, got " + indices.describe());
        }
        return Engine.apply(new LossOps.EmbeddingOp(), weight, Variable.constant(indices));
    }

    /** Causal scaled dot-product attention with scale 1/sqrt(hs): q, k, v (B, H, T, hs) -> (B, H, T, hs). */
    public static Variable causalAttention(Variable q, Variable k, Variable v) {
        return Engine.apply(new LossOps.CausalAttention(), q, k, v);
    }

    /**
     * Causal self-attention with scale 1/sqrt(C / heads) on a fused projection qkv (B, T, 3C), each row
     * [q | k | v] -> (B, T, C), the heads side by side. The same values as splitting q, k and v into heads
     * (B, H, T, C / H), {@link #causalAttention}, and joining the heads back, without copying them in between.
     */
    public static Variable causalSelfAttention(Variable qkv, int heads) {
        return Engine.apply(new LossOps.CausalSelfAttention(heads), qkv);
    }

    /**
     * Scaled dot-product attention, general form: softmax(q k^T * scale + mask) v, composed from primitives.
     * causal masks positions j > i. q (..., Tq, hs), k and v (..., Tk, hs).
     */
    public static Variable attention(Variable q, Variable k, Variable v, boolean causal, float scale) {
        int hs = q.shape()[q.value().rank() - 1];
        float s = Float.isNaN(scale) ? (float) (1.0 / Math.sqrt(hs)) : scale;
        if (causal && Float.isNaN(scale) && q.value().rank() == 4 && Shape.same(q.shape(), k.shape())) {
            return causalAttention(q, k, v);
        }
        Variable scores = scale(matmul(q, transpose(k, -2, -1)), s);
        if (causal) {
            int tq = q.shape()[q.value().rank() - 2];
            int tk = k.shape()[k.value().rank() - 2];
            float[] m = new float[tq * tk];
            for (int i = 0; i < tq; i++) {
                for (int j = 0; j < tk; j++) {
                    m[i * tk + j] = j > i ? Float.NEGATIVE_INFINITY : 0f;
                }
            }
            scores = add(scores, Variable.constant(Tensor.of(m, tq, tk)));
        }
        return matmul(softmax(scores, -1), v);
    }

    // ---------------------------------------------------------------- element-wise (ElementwiseOps)

    public static Variable add(Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Add(), a, b);
    }

    public static Variable sub(Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Sub(), a, b);
    }

    public static Variable mul(Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Mul(), a, b);
    }

    public static Variable div(Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Div(), a, b);
    }

    /** Element-wise maximum; at ties the gradient is split equally (PyTorch). */
    public static Variable maximum(Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Maximum(), a, b);
    }

    /** cond ? a : b element-wise (cond: nonzero = true, not differentiated), with broadcasting. */
    public static Variable where(Tensor cond, Variable a, Variable b) {
        return Engine.apply(new ElementwiseOps.Where(cond), a, b);
    }

    /** x with value where mask is nonzero (e.g. -inf above the diagonal). */
    public static Variable maskedFill(Variable x, Tensor mask, float value) {
        return where(mask, Variable.constant(Tensor.full(value)), x);
    }

    /** x * s for a constant s. */
    public static Variable scale(Variable x, float s) {
        return Engine.apply(new ElementwiseOps.Scale(s), x);
    }

    /** x + s for a constant s. */
    public static Variable addScalar(Variable x, float s) {
        return Engine.apply(new ElementwiseOps.AddScalar(s), x);
    }

    /** x^p for a constant exponent p. */
    public static Variable pow(Variable x, float p) {
        return Engine.apply(new ElementwiseOps.PowScalar(p), x);
    }

    public static Variable neg(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.NEG, 0f, 0f), x);
    }

    public static Variable exp(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.EXP, 0f, 0f), x);
    }

    public static Variable log(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.LOG, 0f, 0f), x);
    }

    public static Variable sqrt(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.SQRT, 0f, 0f), x);
    }

    public static Variable tanh(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.TANH, 0f, 0f), x);
    }

    public static Variable sigmoid(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.SIGMOID, 0f, 0f), x);
    }

    /** max(x, 0); relu'(0) = 0. */
    public static Variable relu(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.RELU, 0f, 0f), x);
    }

    public static Variable silu(Variable x) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.SILU, 0f, 0f), x);
    }

    /** GELU: exact (erf) or, with approximateTanh, PyTorch's approximate='tanh'. */
    public static Variable gelu(Variable x, boolean approximateTanh) {
        return Engine.apply(new ElementwiseOps.Pointwise(approximateTanh ? ElementwiseOps.Fn.GELU_TANH
                : ElementwiseOps.Fn.GELU, 0f, 0f), x);
    }

    /** PyTorch softplus(x, beta=1, threshold=20). */
    public static Variable softplus(Variable x) {
        return softplus(x, 1f, 20f);
    }

    /** log(1 + exp(beta x)) / beta, linear where beta x > threshold. */
    public static Variable softplus(Variable x, float beta, float threshold) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.SOFTPLUS, beta, threshold), x);
    }

    public static Variable leakyRelu(Variable x, float slope) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.LEAKY_RELU, slope, 0f), x);
    }

    /** min(max(x, lo), hi); the gradient passes where lo <= x <= hi (PyTorch). */
    public static Variable clamp(Variable x, float lo, float hi) {
        return Engine.apply(new ElementwiseOps.Pointwise(ElementwiseOps.Fn.CLAMP, lo, hi), x);
    }

    /**
     * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). The mask of element
     * i is Philox(seed, stream, counter + i) < p, so it can be recomputed. Identity when not training or p == 0.
     */
    public static Variable dropout(Variable x, float p, boolean training, long seed, long stream, long counter) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        return Engine.apply(new ElementwiseOps.Dropout(p, seed, stream, counter), x);
    }

    // ---------------------------------------------------------------- reductions (ReduceOps)

    /** Sum of all elements: a scalar. */
    public static Variable sum(Variable x) {
        return sum(x, new int[0], false);
    }

    /** Sum over dims (empty = all). */
    public static Variable sum(Variable x, int[] dims, boolean keepDim) {
        return Engine.apply(new ReduceOps.Reduction(ReduceOps.Kind.SUM, dims, keepDim), x);
    }

    /** Mean of all elements. */
    public static Variable mean(Variable x) {
        return mean(x, new int[0], false);
    }

    /** Mean over dims (empty = all). */
    public static Variable mean(Variable x, int[] dims, boolean keepDim) {
        return Engine.apply(new ReduceOps.Reduction(ReduceOps.Kind.MEAN, dims, keepDim), x);
    }

    /** Maximum over dims; the gradient is shared equally among tied maxima (PyTorch's amax). */
    public static Variable amax(Variable x, int[] dims, boolean keepDim) {
        return Engine.apply(new ReduceOps.Reduction(ReduceOps.Kind.AMAX, dims, keepDim), x);
    }

    /** log(sum(exp(x))) over dims, computed stably. */
    public static Variable logsumexp(Variable x, int[] dims, boolean keepDim) {
        return Engine.apply(new ReduceOps.Reduction(ReduceOps.Kind.LOGSUMEXP, dims, keepDim), x);
    }
}
