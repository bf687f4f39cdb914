package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.BinaryFn;
import dev.tiller.tensor.kernel.BinaryKernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Element-wise float32 ops of two tensors (and where of three) with NumPy broadcasting: shapes align at the right
 * and each pair of dims must be equal or contain a 1, e.g. a: (B, T, C) + b: (C) -&gt; (B, T, C). Results are new
 * contiguous tensors of the broadcast shape. Iteration (see Broadcast): same-shape contiguous operands run as one
 * flat loop; a broadcast scalar or row is read with stride 0 in the SIMD kernel; any other layout (transposed or
 * strided views) is first gathered into a dense copy. Work splits into fixed chunks of 16384 outputs, so results
 * are bitwise independent of the thread count. Kernels: BinaryKernels (SimdBinary, twin RefBinary).
 *
 * <p>Gradients are not computed here; for autograd: maximum and minimum are not differentiable at ties (PyTorch
 * splits the gradient equally there); comparisons and where's condition have no gradient.
 */
public final class Binary {
    private Binary() {}

    /** a + b, broadcast. */
    public static Tensor add(Tensor a, Tensor b) {
        return apply("add", BinaryFn.ADD, a, b);
    }

    /** a - b, broadcast. */
    public static Tensor sub(Tensor a, Tensor b) {
        return apply("sub", BinaryFn.SUB, a, b);
    }

    /** a * b, broadcast. */
    public static Tensor mul(Tensor a, Tensor b) {
        return apply("mul", BinaryFn.MUL, a, b);
    }

    /** a / b, broadcast (IEEE: x / 0 is +-inf, 0 / 0 NaN). */
    public static Tensor div(Tensor a, Tensor b) {
        return apply("div", BinaryFn.DIV, a, b);
    }

    /** a^b, broadcast, as StrictMath.pow rounded to float (within 1 ulp). */
    public static Tensor pow(Tensor a, Tensor b) {
        return apply("pow", BinaryFn.POW, a, b);
    }

    /** max(a, b), broadcast; NaN where either is NaN (PyTorch maximum). */
    public static Tensor maximum(Tensor a, Tensor b) {
        return apply("maximum", BinaryFn.MAXIMUM, a, b);
    }

    /** min(a, b), broadcast; NaN where either is NaN (PyTorch minimum). */
    public static Tensor minimum(Tensor a, Tensor b) {
        return apply("minimum", BinaryFn.MINIMUM, a, b);
    }

    /** 1f where a == b else 0f, broadcast. */
    public static Tensor eq(Tensor a, Tensor b) {
        return apply("eq", BinaryFn.EQ, a, b);
    }

    /** 1f where a != b else 0f (1f where either is NaN), broadcast. */
    public static Tensor ne(Tensor a, Tensor b) {
        return apply("ne", BinaryFn.NE, a, b);
    }

    /** 1f where a &lt; b else 0f, broadcast. */
    public static Tensor lt(Tensor a, Tensor b) {
        return apply("lt", BinaryFn.LT, a, b);
    }

    /** 1f where a &lt;= b else 0f, broadcast. */
    public static Tensor le(Tensor a, Tensor b) {
        return apply("le", BinaryFn.LE, a, b);
    }

    /** 1f where a &gt; b else 0f, broadcast. */
    public static Tensor gt(Tensor a, Tensor b) {
        return apply("gt", BinaryFn.GT, a, b);
    }

    /** 1f where a &gt;= b else 0f, broadcast. */
    public static Tensor ge(Tensor a, Tensor b) {
        return apply("ge", BinaryFn.GE, a, b);
    }

    /**
     * cond ? a : b element-wise, all three broadcast together; cond is float32 and true where nonzero (NaN counts
     * as true, as in PyTorch's conversion to bool). No arithmetic, so NaN in the unselected operand never leaks.
     */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        String op = "where";
        Broadcast.requireF32(op, "cond", cond);
        Broadcast.requireF32(op, "a", a);
        Broadcast.requireF32(op, "b", b);
        int[] shape;
        try {
            shape = Shape.broadcast(op, Shape.broadcast(op, cond.shape(), a.shape()), b.shape());
        } catch (ShapeMismatchException e) {
            throw new ShapeMismatchException(op, "cond, a and b that broadcast together",
                    "cond=" + Shape.str(cond.shape()) + ", a=" + Shape.str(a.shape()) + ", b=" + Shape.str(b.shape()),
                    "dims align at the right and must be equal or 1");
        }
        Tensor out = Tensor.empty(DType.F32, shape);
        Tensor[] orig = {cond, a, b};
        Tensor[] in = orig.clone();
        Broadcast plan = Broadcast.plan(op, shape, in);
        MemorySegment cs = in[0].segment();
        MemorySegment as = in[1].segment();
        MemorySegment bs = in[2].segment();
        MemorySegment os = out.segment();
        long oo = out.offset();
        plan.forEachRun((off, inc, pos, len) -> {
            BinaryKernels.where(cs, off[0], inc[0], as, off[1], inc[1], bs, off[2], inc[2], os, oo + pos, len);
        });
        Broadcast.closeCopies(orig, in);
        return out;
    }

    /**
     * In-place accumulate dst += alpha * src, for gradient accumulation: src broadcasts to dst's shape (dst is never
     * resized), e.g. dst: (B, T, C) += src: (C). Each element is one fused multiply-add (one rounding).
     * dst must be contiguous float32 and must not share storage with src.
     */
    public static void addInto(Tensor dst, Tensor src, float alpha) {
        String op = "addInto";
        Broadcast.requireF32(op, "dst", dst);
        Broadcast.requireF32(op, "src", src);
        int[] shape = dst.shape();
        int[] b;
        try {
            b = Shape.broadcast(op, shape, src.shape());
        } catch (ShapeMismatchException e) {
            b = null;
        }
        if (b == null || !Arrays.equals(b, shape)) {
            throw new ShapeMismatchException(op, "src broadcastable to dst's shape (dst is never resized)",
                    "dst=" + Shape.str(shape) + ", src=" + Shape.str(src.shape()),
                    "reduce src first, e.g. Reduce.sumTo(src, dst.shape())");
        }
        if (dst.numel() == 0) {
            return;          // nothing to add
        }
        if (!dst.isContiguous()) {
            throw new IllegalArgumentException(op + ": expected a contiguous dst; got " + dst.describe()
                    + " with strides " + Arrays.toString(dst.strides()) + "; hint: accumulate into a dense buffer");
        }
        if (dst.sharesStorage(src)) {
            throw new IllegalArgumentException(op + ": dst " + dst.describe() + " and src " + src.describe()
                    + " share storage; hint: pass a copy of src");
        }
        Tensor[] orig = {src};
        Tensor[] in = orig.clone();
        Broadcast plan = Broadcast.plan(op, shape, in);
        MemorySegment ss = in[0].segment();
        MemorySegment ds = dst.segment();
        long dOff = dst.offset();
        plan.forEachRun((off, inc, pos, len) -> {
            BinaryKernels.axpy(alpha, ss, off[0], inc[0], ds, dOff + pos, len);
        });
        Broadcast.closeCopies(orig, in);
    }

    private static Tensor apply(String op, BinaryFn f, Tensor a, Tensor b) {
        Broadcast.requireF32(op, "a", a);
        Broadcast.requireF32(op, "b", b);
        int[] shape = Shape.broadcast(op, a.shape(), b.shape());
        Tensor out = Tensor.empty(DType.F32, shape);
        Tensor[] orig = {a, b};
        Tensor[] in = orig.clone();
        Broadcast plan = Broadcast.plan(op, shape, in);
        MemorySegment as = in[0].segment();
        MemorySegment bs = in[1].segment();
        MemorySegment os = out.segment();
        long oo = out.offset();
        plan.forEachRun((off, inc, pos, len) -> {
            BinaryKernels.apply(f, as, off[0], inc[0], bs, off[1], inc[1], os, oo + pos, len);
        });
        Broadcast.closeCopies(orig, in);
        return out;
    }
}
