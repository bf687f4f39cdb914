package dev.tiller.tensor.kernel.ref;

import dev.tiller.tensor.kernel.BinaryFn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference kernels of two and three float32 operands: one scalar loop, arithmetic in double rounded once (which
 * equals the float operation for +, -, *, / since double holds the exact product and 53 >= 2 * 24 + 2).
 * The ground truth for SimdBinary; same signatures.
 */
public final class RefBinary {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefBinary() {}

    /**
     * out[oOff + i] = f(a[aOff + i * aInc], b[bOff + i * bInc]) for i in [0, n); aInc and bInc are 0 (the operand
     * repeats one value) or 1. Offsets in elements. out may alias an input with inc 1 at the same offset.
     */
    public static void apply(BinaryFn f, MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
                             MemorySegment out, long oOff, int n) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, oOff + i, apply(f, a.getAtIndex(F32, aOff + (long) i * aInc),
                    b.getAtIndex(F32, bOff + (long) i * bInc)));
        }
    }

    /** f(a, b) for one pair. */
    public static float apply(BinaryFn f, float a, float b) {
        return switch (f) {
            case ADD -> (float) ((double) a + b);
            case SUB -> (float) ((double) a - b);
            case MUL -> (float) ((double) a * b);
            case DIV -> (float) ((double) a / b);
            case POW -> (float) StrictMath.pow(a, b);   // StrictMath: same bits in every JIT tier
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case EQ -> a == b ? 1f : 0f;
            case NE -> a != b ? 1f : 0f;
            case LT -> a < b ? 1f : 0f;
            case LE -> a <= b ? 1f : 0f;
            case GT -> a > b ? 1f : 0f;
            case GE -> a >= b ? 1f : 0f;
        };
    }

    /**
     * out[oOff + i] = cond[cOff + i * cInc] != 0 ? a[aOff + i * aInc] : b[bOff + i * bInc]; incs are 0 or 1.
     * A NaN condition is nonzero, so it selects a (as PyTorch's bool conversion of NaN).
     */
    public static void where(MemorySegment cond, long cOff, int cInc, MemorySegment a, long aOff, int aInc,
                             MemorySegment b, long bOff, int bInc, MemorySegment out, long oOff, int n) {
        for (int i = 0; i < n; i++) {
            float c = cond.getAtIndex(F32, cOff + (long) i * cInc);
            out.setAtIndex(F32, oOff + i, c != 0f ? a.getAtIndex(F32, aOff + (long) i * aInc)
                    : b.getAtIndex(F32, bOff + (long) i * bInc));
        }
    }

    /**
     * y[yOff + i] += alpha * x[xOff + i * xInc] for i in [0, n), xInc 0 or 1, computed in double and rounded once
     * (the SIMD twin uses a float fma, also rounded once; the two may differ by double rounding, at most 1 ulp).
     */
    public static void axpy(float alpha, MemorySegment x, long xOff, int xInc, MemorySegment y, long yOff, int n) {
        for (int i = 0; i < n; i++) {
            double xi = x.getAtIndex(F32, xOff + (long) i * xInc);
            y.setAtIndex(F32, yOff + i, (float) (y.getAtIndex(F32, yOff + i) + alpha * xi));
        }
    }
}
