package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Precision;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ConvertKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Copies between tensors of any layout and dtype, and the one-element conversions under them. Floating conversions
 * round to nearest even (bfloat16 and float16 as {@link Precision} defines them); float to integer truncates toward
 * zero; integer to integer keeps the low bits. Every path gives each element the same bits, so the result depends
 * neither on the path taken nor on the thread count.
 */
public final class Copy {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    /** Elements (or, for strided rows, about that many) per parallel chunk; fixed by the problem size. */
    private static final int CHUNK = 16384;

    private Copy() {}

    /**
     * Copies src's values into dst, converting dtype if needed. Shapes must match exactly (expand src to broadcast).
     * Dense same-dtype copies are one memory copy; dense float32 to/from bfloat16 or float16 run on the bulk
     * conversion kernels; float32 between any layouts copies rows in parallel; the rest converts element by element.
     */
    public static void into(Tensor dst, Tensor src) {
        int[] shape = dst.shape();
        if (!Arrays.equals(shape, src.shape())) {
            throw new ShapeMismatchException("copyFrom", "equal shapes", "destination " + dst.describe()
                    + ", source " + src.describe(), "expand the source to the destination's shape first");
        }
        MemorySegment d = dst.segment();
        MemorySegment s = src.segment();
        DType dt = dst.dtype();
        DType st = src.dtype();
        long n = dst.numel();
        boolean dense = dst.isContiguous() && src.isContiguous();
        if (dt == st && dense) {
            MemorySegment.copy(s, src.offset() * dt.bytes(), d, dst.offset() * dt.bytes(), n * dt.bytes());
            return;
        }
        if (dense && bulkConvert(st, s, src.offset(), dt, d, dst.offset(), n)) {
            return;
        }
        if (n == 0) {
            return;
        }
        int r = shape.length;
        if (dt == DType.F32 && st == DType.F32 && r >= 1) {
            stridedF32(shape, s, src.offset(), src.strides(), d, dst.offset(), dst.strides());
            return;
        }
        long[] sStr = src.strides();
        long[] dStr = dst.strides();
        int[] idx = new int[r];
        long so = src.offset();
        long dof = dst.offset();
        for (long k = 0; k < n; k++) {
            convertOne(s, st, so, d, dt, dof);
            for (int i = r - 1; i >= 0; i--) {       // odometer increment of the multi-index
                idx[i]++;
                so += sStr[i];
                dof += dStr[i];
                if (idx[i] < shape[i]) {
                    break;
                }
                so -= sStr[i] * shape[i];
                dof -= dStr[i] * shape[i];
                idx[i] = 0;
            }
        }
    }

    /** Element i of s (dtype t, index in elements) as a float. */
    public static float readFloat(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(F32, i);
            case BF16 -> Precision.fromBf16(s.getAtIndex(I16, i));
            case F16 -> Precision.fromF16(s.getAtIndex(I16, i));
            case I32 -> s.getAtIndex(I32, i);
            case I64 -> s.getAtIndex(I64, i);
            case I8 -> s.get(I8, i);
        };
    }

    /** Stores v, converted to dtype t, as element i of d. */
    public static void writeFloat(MemorySegment d, DType t, long i, float v) {
        switch (t) {
            case F32 -> d.setAtIndex(F32, i, v);
            case BF16 -> d.setAtIndex(I16, i, Precision.toBf16(v));
            case F16 -> d.setAtIndex(I16, i, Precision.toF16(v));
            case I32 -> d.setAtIndex(I32, i, (int) v);
            case I64 -> d.setAtIndex(I64, i, (long) v);
            case I8 -> d.set(I8, i, (byte) v);
        }
    }

    /**
     * Float32 copy between arbitrary layouts of one shape: rows along the last dim, one per index of the outer dims,
     * split over threads in fixed chunks (each element is a plain copy, so the split does not show in the result).
     */
    private static void stridedF32(int[] dims, MemorySegment s, long so0, long[] sStr, MemorySegment d, long do0,
                                   long[] dStr) {
        final int r = dims.length;
        final int inner = dims[r - 1];
        long rows = 1;
        for (int i = 0; i < r - 1; i++) {
            rows *= dims[i];
        }
        if (rows > Integer.MAX_VALUE || inner == 0) {
            return;
        }
        final long sInner = sStr[r - 1];
        final long dInner = dStr[r - 1];
        Parallel.forRange((int) rows, Math.max(1, CHUNK / Math.max(1, inner)), (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                long so = so0;
                long dof = do0;
                for (int i = r - 2, x = row; i >= 0; i--) {     // the row's multi-index over the outer dims
                    int k = x % dims[i];
                    x /= dims[i];
                    so += k * sStr[i];
                    dof += k * dStr[i];
                }
                if (sInner == 1 && dInner == 1) {
                    MemorySegment.copy(s, so * 4, d, dof * 4, (long) inner * 4);
                } else {
                    for (int j = 0; j < inner; j++, so += sInner, dof += dInner) {
                        d.setAtIndex(F32, dof, s.getAtIndex(F32, so));
                    }
                }
            }
        });
    }

    /**
     * Contiguous float32 to/from bfloat16 or float16 through the bulk conversion kernels, in parallel over fixed
     * chunks; false when the pair has no bulk kernel. Bitwise equal to convertOne.
     */
    private static boolean bulkConvert(DType st, MemorySegment s, long so, DType dt, MemorySegment d, long dof,
                                       long count) {
        boolean f32ToBf16 = st == DType.F32 && dt == DType.BF16;
        boolean bf16ToF32 = st == DType.BF16 && dt == DType.F32;
        boolean f32ToF16 = st == DType.F32 && dt == DType.F16;
        boolean f16ToF32 = st == DType.F16 && dt == DType.F32;
        if (!(f32ToBf16 || bf16ToF32 || f32ToF16 || f16ToF32) || count > Integer.MAX_VALUE) {
            return false;
        }
        Parallel.forRange((int) count, CHUNK, (a, b) -> {
            if (f32ToBf16) {
                ConvertKernels.f32ToBf16(s, so + a, d, dof + a, b - a);
            } else if (bf16ToF32) {
                ConvertKernels.bf16ToF32(s, so + a, d, dof + a, b - a);
            } else if (f32ToF16) {
                ConvertKernels.f32ToF16(s, so + a, d, dof + a, b - a);
            } else {
                ConvertKernels.f16ToF32(s, so + a, d, dof + a, b - a);
            }
        });
        return true;
    }

    private static void convertOne(MemorySegment s, DType st, long si, MemorySegment d, DType dt, long di) {
        if (st == dt) {
            switch (st) {
                case F32, I32 -> d.setAtIndex(I32, di, s.getAtIndex(I32, si));
                case BF16, F16 -> d.setAtIndex(I16, di, s.getAtIndex(I16, si));
                case I64 -> d.setAtIndex(I64, di, s.getAtIndex(I64, si));
                case I8 -> d.set(I8, di, s.get(I8, si));
            }
            return;
        }
        if (st.isFloating()) {
            writeFloat(d, dt, di, readFloat(s, st, si));
            return;
        }
        long v = switch (st) {
            case I32 -> s.getAtIndex(I32, si);
            case I8 -> s.get(I8, si);
            default -> s.getAtIndex(I64, si);
        };
        switch (dt) {
            case I32 -> d.setAtIndex(I32, di, (int) v);
            case I64 -> d.setAtIndex(I64, di, v);
            case I8 -> d.set(I8, di, (byte) v);
            default -> writeFloat(d, dt, di, (float) v);
        }
    }
}
