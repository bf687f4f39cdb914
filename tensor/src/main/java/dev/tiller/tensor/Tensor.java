package dev.tiller.tensor;

import dev.tiller.tensor.kernel.Kernels;
import dev.tiller.tensor.op.Copy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An n-dimensional array in off-heap memory: a {@link Storage} plus shape, strides and offset (both in elements).
 * Views (reshape of contiguous data, permute, transpose, slice, expand) share storage and copy nothing; kernels that
 * need dense rows call {@link #contiguous()}, which copies only when it must.
 *
 * <p>Ownership: a tensor made by a factory owns its storage and frees it on {@link #close()}; views never own.
 * Inside a {@link TensorScope} new tensors are tracked and closed with the scope. Using a closed tensor (or a view
 * of one) throws {@link IllegalStateException}; it never touches freed memory.
 *
 * <p>Thread-safety: reading from many threads is safe; writes must be to disjoint elements.
 */
public final class Tensor implements AutoCloseable {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;

    static {
        Kernels.requireVectorApi();   // fails naming --add-modules jdk.incubator.vector when it is missing
    }

    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;
    private final boolean owner;

    private Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset, boolean owner) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.owner = owner;
    }

    // ---------------------------------------------------------------- factories

    /**
     * A new contiguous tensor with unspecified contents, from the current {@link TensorScope}'s allocator (and
     * closed with that scope), or GC-managed and zero-filled outside any scope.
     */
    public static Tensor empty(DType dtype, int... shape) {
        Tensor t = allocate(TensorScope.currentAllocator(), dtype, shape);
        TensorScope.track(t);
        return t;
    }

    /**
     * A new contiguous tensor with unspecified contents, from allocator; no scope tracks it, so its maker closes it
     * (or the allocator's arena frees it). Use for parameters and optimizer state that outlive every step.
     */
    public static Tensor allocate(Allocator allocator, DType dtype, int... shape) {
        int[] dims = shape.clone();
        long n = Shape.numel(dims);
        MemorySegment seg = allocator.allocate(n * dtype.bytes());
        return new Tensor(new Storage(seg, allocator, n), dtype, dims, Shape.contiguousStrides(dims), 0, true);
    }

    /** float32 zeros. */
    public static Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    /** Zeros of any dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        t.storage.segment(t).asSlice(0, t.numel() * dtype.bytes()).fill((byte) 0);
        return t;
    }

    /** float32 tensor filled with value. */
    public static Tensor full(float value, int... shape) {
        Tensor t = empty(DType.F32, shape);
        t.fill(value);
        return t;
    }

    /** float32 ones. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A rank-0 float32 tensor. */
    public static Tensor scalar(float value) {
        return full(value);
    }

    /** A float32 tensor holding a copy of data, row-major, with the given shape (numel must equal data.length). */
    public static Tensor of(float[] data, int... shape) {
        int[] dims = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        requireCount("Tensor.of", data.length, dims);
        Tensor t = empty(DType.F32, dims);
        MemorySegment.copy(data, 0, t.storage.segment(t), F32, 0, data.length);
        return t;
    }

    /** An int32 tensor holding a copy of data. */
    public static Tensor ofInts(int[] data, int... shape) {
        int[] dims = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        requireCount("Tensor.ofInts", data.length, dims);
        Tensor t = empty(DType.I32, dims);
        MemorySegment.copy(data, 0, t.storage.segment(t), I32, 0, data.length);
        return t;
    }

    /** An int64 tensor holding a copy of data. */
    public static Tensor ofLongs(long[] data, int... shape) {
        int[] dims = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        requireCount("Tensor.ofLongs", data.length, dims);
        Tensor t = empty(DType.I64, dims);
        MemorySegment.copy(data, 0, t.storage.segment(t), I64, 0, data.length);
        return t;
    }

    /** float32 [0, 1, ..., n-1]. */
    public static Tensor arange(int n) {
        Tensor t = empty(DType.F32, n);
        MemorySegment s = t.storage.segment(t);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(F32, i, i);
        }
        return t;
    }

    /** float32 uniform in [lo, hi): element i is Philox.uniform(seed, stream, i) scaled, whatever the threads. */
    public static Tensor uniform(long seed, long stream, float lo, float hi, int... shape) {
        Tensor t = empty(DType.F32, shape);
        MemorySegment s = t.storage.segment(t);
        long n = t.numel();
        float span = hi - lo;
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, i, lo + span * Philox.uniform(seed, stream, i));
        }
        return t;
    }

    /** float32 normal(mean, std): element i is Philox.normal(seed, stream, i) scaled. */
    public static Tensor normal(long seed, long stream, float mean, float std, int... shape) {
        Tensor t = empty(DType.F32, shape);
        MemorySegment s = t.storage.segment(t);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, i, mean + std * Philox.normal(seed, stream, i));
        }
        return t;
    }

    private static void requireCount(String op, int count, int[] dims) {
        if (Shape.numel(dims) != count) {
            throw new ShapeMismatchException(op, "data length equal to the shape's element count",
                    "length " + count + " for shape " + Shape.str(dims) + " (" + Shape.numel(dims) + " elements)",
                    null);
        }
    }

    // ---------------------------------------------------------------- properties

    public DType dtype() {
        return dtype;
    }

    public int rank() {
        return shape.length;
    }

    /** A copy of the dims. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension i (negative counts from the end). */
    public int dim(int i) {
        return shape[Shape.axis("dim", i, shape.length)];
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    /** Stride of dimension i, in elements. */
    public long stride(int i) {
        return strides[Shape.axis("stride", i, shape.length)];
    }

    /** Offset of element (0, ..., 0) in the storage, in elements. */
    public long offset() {
        return offset;
    }

    public long numel() {
        return Shape.numel(shape);
    }

    /** The storage segment (element i of this tensor sits at offset() + sum idx*stride). Fails if closed. */
    public MemorySegment segment() {
        return storage.segment(this);
    }

    /**
     * True when elements are laid out row-major without gaps (offset may be nonzero): the strides of
     * Shape.contiguousStrides, size-1 dims ignored. A size-0 dim counts as size 1 there and here, so a fresh empty
     * tensor is contiguous and reshaping an empty view never needs a copy.
     */
    public boolean isContiguous() {
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) {
                return false;
            }
            expect *= Math.max(shape[i], 1);
        }
        return true;
    }

    /** True when this tensor or the tensor it views has been closed. */
    public boolean isClosed() {
        return storage.isClosed();
    }

    /** True when this tensor shares storage with other. */
    public boolean sharesStorage(Tensor other) {
        return storage == other.storage;
    }

    /** "Tensor(f32, (2, 3))" plus ", view" for views; used in error messages. */
    public String describe() {
        return "Tensor(" + dtype.shortName() + ", " + Shape.str(shape) + (owner ? "" : ", view") + ")";
    }

    // ---------------------------------------------------------------- views

    /** A tensor sharing storage with this one, with the given geometry. */
    private Tensor view(int[] dims, long[] st, long off) {
        storage.segment(this);   // fail fast on closed tensors
        return new Tensor(storage, dtype, dims, st, off, false);
    }

    /**
     * Same elements, new shape (one dim may be -1). A view when the layout allows, else a contiguous copy.
     */
    public Tensor reshape(int... newShape) {
        int[] dims = inferShape(newShape);
        if (isContiguous()) {
            return view(dims, Shape.contiguousStrides(dims), offset);
        }
        return contiguous().reshape(dims);
    }

    /** Like reshape but never copies; throws if the layout needs a copy. */
    public Tensor view(int... newShape) {
        int[] dims = inferShape(newShape);
        if (!isContiguous()) {
            throw new IllegalArgumentException("view: " + describe() + " with strides " + Arrays.toString(strides)
                    + " is not contiguous, so it cannot be viewed as " + Shape.str(dims)
                    + "; hint: call reshape (which copies) or contiguous() first");
        }
        return view(dims, Shape.contiguousStrides(dims), offset);
    }

    private int[] inferShape(int[] newShape) {
        int[] dims = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: only one dimension may be -1, got "
                            + Arrays.toString(newShape));
                }
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Arrays.toString(newShape));
            } else {
                known *= dims[i];
            }
        }
        long n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new ShapeMismatchException("reshape", "a shape with " + n + " elements",
                        describe() + " -> " + Arrays.toString(newShape), null);
            }
            dims[infer] = (int) (n / known);
        } else if (known != n) {
            throw new ShapeMismatchException("reshape", "a shape with " + n + " elements",
                    describe() + " -> " + Shape.str(dims) + " (" + known + " elements)", null);
        }
        return dims;
    }

    /** Reorders dims: result dim i is this tensor's dim perm[i]. A view. */
    public Tensor permute(int... perm) {
        if (perm.length != shape.length) {
            throw new IllegalArgumentException("permute: " + describe() + " needs a permutation of " + shape.length
                    + " axes, got " + Arrays.toString(perm));
        }
        boolean[] seen = new boolean[perm.length];
        int[] dims = new int[perm.length];
        long[] st = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int a = Shape.axis("permute", perm[i], shape.length);
            if (seen[a]) {
                throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Arrays.toString(perm));
            }
            seen[a] = true;
            dims[i] = shape[a];
            st[i] = strides[a];
        }
        return view(dims, st, offset);
    }

    /** Swaps two dims. A view. */
    public Tensor transpose(int a, int b) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int x = Shape.axis("transpose", a, shape.length);
        int y = Shape.axis("transpose", b, shape.length);
        perm[x] = y;
        perm[y] = x;
        return permute(perm);
    }

    /** Transpose of the last two dims (a matrix's transpose). A view. */
    public Tensor t() {
        if (shape.length < 2) {
            throw new IllegalArgumentException("t: " + describe() + " needs rank >= 2");
        }
        return transpose(-2, -1);
    }

    /** Elements [start, end) of dim (Python-style negative bounds allowed). A view. */
    public Tensor slice(int dim, int start, int end) {
        return slice(dim, start, end, 1);
    }

    /** Elements start, start+step, ... below end along dim; step >= 1. A view. */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shape.axis("slice", dim, shape.length);
        int n = shape[d];
        int s = start < 0 ? start + n : start;
        int e = end < 0 ? end + n : end;
        if (step < 1 || s < 0 || e > n || s > e) {
            throw new IllegalArgumentException("slice: " + describe() + " dim " + d + " has size " + n
                    + "; cannot take [" + start + ", " + end + ") step " + step);
        }
        int[] dims = shape.clone();
        long[] st = strides.clone();
        dims[d] = (e - s + step - 1) / step;
        st[d] = strides[d] * step;
        return view(dims, st, offset + (long) s * strides[d]);
    }

    /** Element index i of dim, with that dim removed. A view. */
    public Tensor select(int dim, int index) {
        int d = Shape.axis("select", dim, shape.length);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dim " + d + " of "
                    + describe());
        }
        int[] dims = new int[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k != d) {
                dims[j] = shape[k];
                st[j++] = strides[k];
            }
        }
        return view(dims, st, offset + (long) i * strides[d]);
    }

    /** Broadcasts size-1 dims (and new leading dims) to newShape with stride 0. A view. */
    public Tensor expand(int... newShape) {
        int[] target = newShape.clone();
        if (target.length < shape.length) {
            throw new ShapeMismatchException("expand", "a target of rank >= " + shape.length,
                    describe() + " -> " + Shape.str(target), null);
        }
        int shift = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1 && i >= shift) {
                target[i] = shape[i - shift];
            }
            if (i >= shift && shape[i - shift] != 1 && shape[i - shift] != target[i]) {
                throw new ShapeMismatchException("expand", "size-1 dims only to grow",
                        describe() + " -> " + Shape.str(newShape), "dim " + (i - shift) + " has size "
                                + shape[i - shift]);
            }
        }
        return view(target, Shape.broadcastStrides(shape, strides, target), offset);
    }

    /** Inserts a size-1 dim at position dim. A view. */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        if (d < 0 || d > shape.length) {
            throw new IllegalArgumentException("unsqueeze: position " + dim + " out of range for " + describe());
        }
        int[] dims = new int[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i == d) {
                dims[i] = 1;
                st[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                dims[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return view(dims, st, offset);
    }

    /** Removes dim, which must have size 1. A view. */
    public Tensor squeeze(int dim) {
        int d = Shape.axis("squeeze", dim, shape.length);
        if (shape[d] != 1) {
            throw new IllegalArgumentException("squeeze: dim " + d + " of " + describe() + " has size " + shape[d]
                    + ", not 1");
        }
        return select(d, 0);
    }

    // ---------------------------------------------------------------- copies and conversion

    /** This tensor if contiguous, else a contiguous copy (same dtype). */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    /** A new contiguous tensor with the same dtype and values. */
    public Tensor copy() {
        Tensor out = empty(dtype, shape);
        out.copyFrom(this);
        return out;
    }

    /**
     * A new tensor of dtype target with these values. Floating conversions round to nearest even; float to int
     * truncates toward zero.
     */
    public Tensor to(DType target) {
        if (target == dtype) {
            return copy();
        }
        Tensor out = empty(target, shape);
        out.copyFrom(this);
        return out;
    }

    /**
     * Copies src's values into this tensor, converting dtype if needed (rounding as {@link #to}). Shapes must match
     * exactly (use {@link #expand} on src to broadcast).
     */
    public void copyFrom(Tensor src) {
        Copy.into(this, src);
    }

    /** Sets every element to value (converted to this dtype). */
    public void fill(float value) {
        MemorySegment s = segment();
        if (isContiguous() && dtype == DType.F32) {
            long n = numel();
            if (Float.floatToRawIntBits(value) == 0) {    // +0: all bytes zero, a memset (zeroing gradients)
                s.asSlice(offset * Float.BYTES, n * Float.BYTES).fill((byte) 0);
                return;
            }
            for (long i = 0; i < n; i++) {
                s.setAtIndex(F32, offset + i, value);
            }
            return;
        }
        Tensor one = Tensor.allocate(Allocators.auto(), DType.F32, 1);
        one.segment().setAtIndex(F32, 0, value);
        int[] ones = new int[shape.length];
        Arrays.fill(ones, 1);
        copyFrom(one.reshape(ones).expand(shape));
    }

    // ---------------------------------------------------------------- element access (slow; for tests and I/O)

    private long flat(int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(idx) + " has " + idx.length
                    + " coordinates; " + describe() + " needs " + shape.length);
        }
        long o = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of range for "
                        + describe());
            }
            o += idx[i] * strides[i];
        }
        return o;
    }

    /** The element at idx, as a float. */
    public float getFloat(int... idx) {
        return Copy.readFloat(segment(), dtype, flat(idx));
    }

    /** Sets the element at idx (converted to this dtype). */
    public void setFloat(float v, int... idx) {
        long o = flat(idx);
        Copy.writeFloat(segment(), dtype, o, v);
    }

    /** The element at idx of an integer tensor. */
    public long getLong(int... idx) {
        long o = flat(idx);
        return switch (dtype) {
            case I32 -> segment().getAtIndex(I32, o);
            case I64 -> segment().getAtIndex(I64, o);
            default -> (long) Copy.readFloat(segment(), dtype, o);
        };
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: " + describe() + " has " + numel() + " elements, not 1");
        }
        return Copy.readFloat(segment(), dtype, offset);
    }

    /** Values in row-major order, converted to float. */
    public float[] toFloatArray() {
        Tensor c = dtype == DType.F32 ? contiguous() : to(DType.F32);
        float[] out = new float[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), F32, c.offset * 4, out, 0, out.length);
        if (c != this) {
            c.close();
        }
        return out;
    }

    /** Values of an integer tensor in row-major order. */
    public long[] toLongArray() {
        Tensor c = to(DType.I64);
        long[] out = new long[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), I64, 0, out, 0, out.length);
        c.close();
        return out;
    }

    /** Values of an integer tensor in row-major order, as ints. */
    public int[] toIntArray() {
        Tensor c = to(DType.I32);
        int[] out = new int[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), I32, 0, out, 0, out.length);
        c.close();
        return out;
    }

    // ---------------------------------------------------------------- lifetime

    /** Frees the storage if this tensor owns it; idempotent. Views do nothing. */
    @Override
    public void close() {
        if (owner) {
            storage.close();
        }
    }

    @Override
    public String toString() {
        if (isClosed()) {
            return describe() + " [closed]";
        }
        if (numel() <= 16) {
            float[] v = toFloatArray();
            return describe() + " " + Arrays.toString(v);
        }
        return describe();
    }
}
