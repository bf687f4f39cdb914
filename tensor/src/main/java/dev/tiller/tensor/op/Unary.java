package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.UnaryFn;
import dev.tiller.tensor.kernel.UnaryKernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Element-wise float32 functions of one tensor, with scalar parameters, and the backward helpers autograd needs
 * where a derivative is not a plain composition of other ops. Every function maps x: any shape to a new
 * contiguous tensor of the same shape (non-contiguous inputs are read through a dense copy). Definitions follow
 * PyTorch. Large inputs run in parallel over fixed chunks of 16384 elements, so results do not depend on the thread
 * count. Kernels: UnaryKernels (SimdUnary, twin RefUnary).
 *
 * <p>Gradient conventions at kinks: relu'(0) = 0; leakyRelu'(0) = slope; clamp passes the gradient
 * on the closed interval [lo, hi] (so at a bound itself, as PyTorch) and 0 outside; softplus's slope is exactly 1
 * where beta x &gt; threshold; a NaN input gives a zero gradient for relu and clamp, NaN for the smooth functions.
 */
public final class Unary {
    private static final int CHUNK = Broadcast.CHUNK;

    private Unary() {}

    /** -x. x: any shape -&gt; same shape. */
    public static Tensor neg(Tensor x) {
        return map("neg", UnaryFn.NEG, 0f, 0f, x);
    }

    /** |x|. x: any shape -&gt; same shape. (For autograd: d|x|/dx = sign(x), 0 at 0, as PyTorch.) */
    public static Tensor abs(Tensor x) {
        return map("abs", UnaryFn.ABS, 0f, 0f, x);
    }

    /** e^x, within 2 ulp (VecMath.exp; same bits in every JIT tier). x: any shape -&gt; same shape. */
    public static Tensor exp(Tensor x) {
        return map("exp", UnaryFn.EXP, 0f, 0f, x);
    }

    /** ln x, within 2 ulp (VecMath.log); NaN for x &lt; 0 and -inf at 0. x: any shape -&gt; same shape. */
    public static Tensor log(Tensor x) {
        return map("log", UnaryFn.LOG, 0f, 0f, x);
    }

    /** sqrt(x), correctly rounded; NaN for x &lt; 0. x: any shape -&gt; same shape. */
    public static Tensor sqrt(Tensor x) {
        return map("sqrt", UnaryFn.SQRT, 0f, 0f, x);
    }

    /** 1 / sqrt(x) (two roundings); +inf at +0. x: any shape -&gt; same shape. */
    public static Tensor rsqrt(Tensor x) {
        return map("rsqrt", UnaryFn.RSQRT, 0f, 0f, x);
    }

    /** x * x. x: any shape -&gt; same shape. */
    public static Tensor square(Tensor x) {
        return map("square", UnaryFn.SQUARE, 0f, 0f, x);
    }

    /** 1 / x. x: any shape -&gt; same shape. */
    public static Tensor reciprocal(Tensor x) {
        return map("reciprocal", UnaryFn.RECIPROCAL, 0f, 0f, x);
    }

    /**
     * tanh(x), within 3 ulp (VecMath.tanh). x: any shape -&gt; same shape. Gradient: {@link #tanhBackward} from the
     * output.
     */
    public static Tensor tanh(Tensor x) {
        return map("tanh", UnaryFn.TANH, 0f, 0f, x);
    }

    /**
     * 1 / (1 + e^-x), evaluated as e^x / (1 + e^x) for x &lt; 0 so very negative inputs give tiny positive values,
     * never 1 / inf. x: any shape -&gt; same shape. Gradient: {@link #sigmoidBackward} from the output.
     */
    public static Tensor sigmoid(Tensor x) {
        return map("sigmoid", UnaryFn.SIGMOID, 0f, 0f, x);
    }

    /** max(x, 0); NaN stays NaN. x: any shape -&gt; same shape. Gradient: {@link #reluBackward}. */
    public static Tensor relu(Tensor x) {
        return map("relu", UnaryFn.RELU, 0f, 0f, x);
    }

    /** x sigmoid(x) (swish). x: any shape -&gt; same shape. Gradient: {@link #siluBackward}. */
    public static Tensor silu(Tensor x) {
        return map("silu", UnaryFn.SILU, 0f, 0f, x);
    }

    /** erf(x) by a float minimax approximation within about 1 ulp (see SimdUnary). x: any shape -&gt; same shape. */
    public static Tensor erf(Tensor x) {
        return map("erf", UnaryFn.ERF, 0f, 0f, x);
    }

    /**
     * GELU. approximate false: 0.5 x (1 + erf(x / sqrt 2)) (PyTorch approximate='none'); for x &lt; -1.31 the
     * factor 1 + erf is taken as erfc(|z|) = e^r directly rather than 1 - erf(|z|), so it has no cancellation: the
     * absolute error of 1 + erf stays under about 5 * 2^-24 everywhere (as for PyTorch's float evaluation), and
     * the relative error is under 1e-4 for x &gt;= -6 (PyTorch's float formula returns 0 below about -5.3); below
     * -7, where |gelu| &lt; 1e-11, the relative error grows. approximate true: 0.5 x (1 + tanh(sqrt(2/pi) (x +
     * 0.044715 x^3))) (PyTorch approximate='tanh'), evaluated as x sigmoid(2u), the same function without
     * cancellation.
     * x: any shape -&gt; same shape. Gradient: {@link #geluBackward}.
     */
    public static Tensor gelu(Tensor x, boolean approximate) {
        return map("gelu", approximate ? UnaryFn.GELU_TANH : UnaryFn.GELU, 0f, 0f, x);
    }

    /**
     * softplus: x where beta x &gt; threshold (PyTorch's linear region), else ln(1 + e^(beta x)) / beta.
     * PyTorch defaults: beta 1, threshold 20. beta must be nonzero. x: any shape -&gt; same shape.
     */
    public static Tensor softplus(Tensor x, float beta, float threshold) {
        if (beta == 0f || Float.isNaN(beta)) {
            throw new IllegalArgumentException("softplus: expected a nonzero beta; got " + beta);
        }
        return map("softplus", UnaryFn.SOFTPLUS, beta, threshold, x);
    }

    /** x where x &gt; 0, else slope x (PyTorch default slope 0.01). x: any shape -&gt; same shape. */
    public static Tensor leakyRelu(Tensor x, float slope) {
        return map("leakyRelu", UnaryFn.LEAKY_RELU, slope, 0f, x);
    }

    /**
     * x^p as StrictMath.pow rounded to float (within 1 ulp; NaN for x &lt; 0 with non-integer p). x: any shape -&gt;
     * same shape.
     */
    public static Tensor powScalar(Tensor x, float p) {
        return map("powScalar", UnaryFn.POW, p, 0f, x);
    }

    /**
     * min(max(x, lo), hi), as PyTorch clamp: NaN stays NaN, and lo &gt; hi sets every element to hi.
     * x: any shape -&gt; same shape. Gradient: {@link #clampBackward}.
     */
    public static Tensor clamp(Tensor x, float lo, float hi) {
        return map("clamp", UnaryFn.CLAMP, lo, hi, x);
    }

    /** x + c. x: any shape -&gt; same shape. */
    public static Tensor addScalar(Tensor x, float c) {
        return map("addScalar", UnaryFn.ADD_SCALAR, c, 0f, x);
    }

    /** x * c. x: any shape -&gt; same shape. */
    public static Tensor mulScalar(Tensor x, float c) {
        return map("mulScalar", UnaryFn.MUL_SCALAR, c, 0f, x);
    }

    // ---------------------------------------------------------------- backward helpers

    /** dX = dOut where x &gt; 0, else 0 (relu'(0) = 0; NaN x gives 0). x, dOut: same shape -&gt; dX. */
    public static Tensor reluBackward(Tensor x, Tensor dOut) {
        return backward("reluBackward", UnaryFn.RELU, 0f, 0f, x, dOut);
    }

    /** dX = dOut where x &gt; 0, else slope dOut (so slope at 0, as PyTorch). x, dOut: same shape -&gt; dX. */
    public static Tensor leakyReluBackward(Tensor x, Tensor dOut, float slope) {
        return backward("leakyReluBackward", UnaryFn.LEAKY_RELU, slope, 0f, x, dOut);
    }

    /**
     * dX = dOut where lo &lt;= x &lt;= hi, else 0: the gradient passes at the bounds themselves, as PyTorch's
     * clamp backward (mask x &gt;= lo and x &lt;= hi). x, dOut: same shape -&gt; dX.
     */
    public static Tensor clampBackward(Tensor x, Tensor dOut, float lo, float hi) {
        return backward("clampBackward", UnaryFn.CLAMP, lo, hi, x, dOut);
    }

    /** dX = dOut (1 - y^2), from the forward output y = tanh(x), evaluated as (1 - y)(1 + y). y, dOut: same shape. */
    public static Tensor tanhBackward(Tensor y, Tensor dOut) {
        return backward("tanhBackward", UnaryFn.TANH, 0f, 0f, y, dOut);
    }

    /** dX = dOut y (1 - y), from the forward output y = sigmoid(x). y, dOut: same shape -&gt; dX. */
    public static Tensor sigmoidBackward(Tensor y, Tensor dOut) {
        return backward("sigmoidBackward", UnaryFn.SIGMOID, 0f, 0f, y, dOut);
    }

    /** dX = dOut s (1 + x (1 - s)), s = sigmoid(x), the derivative of x s(x). x, dOut: same shape -&gt; dX. */
    public static Tensor siluBackward(Tensor x, Tensor dOut) {
        return backward("siluBackward", UnaryFn.SILU, 0f, 0f, x, dOut);
    }

    /** dX = dOut sigmoid(beta x), and dOut where beta x &gt; threshold (the linear region). x, dOut: same shape. */
    public static Tensor softplusBackward(Tensor x, Tensor dOut, float beta, float threshold) {
        if (beta == 0f || Float.isNaN(beta)) {
            throw new IllegalArgumentException("softplusBackward: expected a nonzero beta; got " + beta);
        }
        return backward("softplusBackward", UnaryFn.SOFTPLUS, beta, threshold, x, dOut);
    }

    /**
     * Gradient of {@link #gelu}. Exact: dX = dOut (0.5 (1 + erf(x / sqrt 2)) + x phi(x)), phi the standard normal
     * density. Tanh form: with u = sqrt(2/pi) (x + 0.044715 x^3) and t = tanh(u),
     * dX = dOut (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)) (PyTorch's formula), evaluated
     * with s = sigmoid(2u) = (1 + t) / 2. x, dOut: same shape -&gt; dX.
     */
    public static Tensor geluBackward(Tensor x, Tensor dOut, boolean approximate) {
        return backward("geluBackward", approximate ? UnaryFn.GELU_TANH : UnaryFn.GELU, 0f, 0f, x, dOut);
    }

    /** GELU's output and what its backward keeps: k = 1 + erf(x / sqrt2), same shape. */
    public record GeluKept(Tensor out, Tensor k) {}

    /**
     * Exact (erf) GELU, as gelu(x, false) with the same values, that also returns k = 1 + erf(x / sqrt2) for
     * {@link #geluBackwardKept}: the backward then needs only e^(-x^2 / 2), not erf again. x: any shape.
     */
    public static GeluKept geluKeep(Tensor x) {
        final String op = "geluKeep";
        Broadcast.requireF32(op, "input", x);
        Tensor xc = Broadcast.dense(x);
        Tensor out = Tensor.empty(DType.F32, x.shape());
        Tensor k = Tensor.empty(DType.F32, x.shape());
        int n = count(op, out);
        MemorySegment xs = xc.segment();
        MemorySegment os = out.segment();
        MemorySegment ks = k.segment();
        long xo = xc.offset();
        long oo = out.offset();
        long ko = k.offset();
        Parallel.forRange(n, CHUNK, (s, e) -> UnaryKernels.geluKeep(xs, xo + s, os, oo + s, ks, ko + s, e - s));
        if (xc != x) {
            xc.close();
        }
        return new GeluKept(out, k);
    }

    /** geluBackward(x, dOut, false), the same values, from k as {@link #geluKeep} returned it. */
    public static Tensor geluBackwardKept(Tensor x, Tensor k, Tensor dOut) {
        final String op = "geluBackwardKept";
        Broadcast.requireF32(op, "forward tensor", x);
        Broadcast.requireF32(op, "k", k);
        Broadcast.requireF32(op, "dOut", dOut);
        if (!Arrays.equals(x.shape(), dOut.shape()) || !Arrays.equals(x.shape(), k.shape())) {
            throw new ShapeMismatchException(op, "x, k and dOut of one shape", "x " + x.describe() + ", k "
                    + k.describe() + ", dOut " + dOut.describe(), null);
        }
        Tensor xc = Broadcast.dense(x);
        Tensor kc = Broadcast.dense(k);
        Tensor gc = Broadcast.dense(dOut);
        Tensor out = Tensor.empty(DType.F32, x.shape());
        int n = count(op, out);
        MemorySegment xs = xc.segment();
        MemorySegment ks = kc.segment();
        MemorySegment gs = gc.segment();
        MemorySegment os = out.segment();
        long xo = xc.offset();
        long ko = kc.offset();
        long go = gc.offset();
        long oo = out.offset();
        Parallel.forRange(n, CHUNK, (s, e) ->
                UnaryKernels.geluBackwardKept(xs, xo + s, ks, ko + s, gs, go + s, os, oo + s, e - s));
        Broadcast.closeCopies(new Tensor[] {x, k, dOut}, new Tensor[] {xc, kc, gc});
        return out;
    }

    // ---------------------------------------------------------------- plumbing

    private static Tensor map(String op, UnaryFn f, float p, float q, Tensor x) {
        Broadcast.requireF32(op, "input", x);
        Tensor xc = Broadcast.dense(x);
        Tensor out = Tensor.empty(DType.F32, x.shape());
        int n = count(op, out);
        MemorySegment xs = xc.segment();
        MemorySegment os = out.segment();
        long xo = xc.offset();
        long oo = out.offset();
        Parallel.forRange(n, CHUNK, (s, e) -> UnaryKernels.map(f, p, q, xs, xo + s, os, oo + s, e - s));
        if (xc != x) {
            xc.close();
        }
        return out;
    }

    private static Tensor backward(String op, UnaryFn f, float p, float q, Tensor at, Tensor dOut) {
        Broadcast.requireF32(op, "forward tensor", at);
        Broadcast.requireF32(op, "dOut", dOut);
        if (!Arrays.equals(at.shape(), dOut.shape())) {
            throw new ShapeMismatchException(op, "the forward tensor and dOut of the same shape",
                    "forward " + at.describe() + ", dOut " + dOut.describe(),
                    "dOut is the gradient of the forward output, so it has the output's shape");
        }
        Tensor ac = Broadcast.dense(at);
        Tensor gc = Broadcast.dense(dOut);
        Tensor out = Tensor.empty(DType.F32, at.shape());
        int n = count(op, out);
        MemorySegment as = ac.segment();
        MemorySegment gs = gc.segment();
        MemorySegment os = out.segment();
        long ao = ac.offset();
        long go = gc.offset();
        long oo = out.offset();
        Parallel.forRange(n, CHUNK, (s, e) ->
                UnaryKernels.backward(f, p, q, as, ao + s, gs, go + s, os, oo + s, e - s));
        if (ac != at) {
            ac.close();
        }
        if (gc != dOut) {
            gc.close();
        }
        return out;
    }

    private static int count(String op, Tensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": at most 2^31 - 1 elements, got " + t.describe());
        }
        return (int) n;
    }
}
