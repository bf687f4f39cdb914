package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefBinary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SIMD element-wise kernels of two (and, for where, three) float32 operands over one run of n outputs, where each
 * input either advances with the output (inc 1) or repeats one value (inc 0, a broadcast scalar or a broadcast
 * row's element). The op layer cuts any broadcast into such runs. Twin: RefBinary (same signatures and contract).
 * One loop per function and operand layout, so every Vector API operator is a constant the JIT can intrinsify.
 */
public final class SimdBinary {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private SimdBinary() {}

    /** See RefBinary.apply: out[oOff + i] = f(a[aOff + i * aInc], b[bOff + i * bInc]), inc in {0, 1}. */
    public static void apply(BinaryFn f, MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
                             MemorySegment out, long oOff, int n) {
        if (n <= 0) {
            return;                      // nothing to read: a broadcast operand may sit past the end
        }
        final int bound = (aInc | bInc) == 0 ? 0 : S.loopBound(n);   // both broadcast: the scalar loop does it
        switch (f) {
            case ADD -> applyAdd(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case SUB -> applySub(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case MUL -> applyMul(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case DIV -> applyDiv(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case POW -> applyPow(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case MAXIMUM -> applyMaximum(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case MINIMUM -> applyMinimum(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case EQ -> applyEq(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case NE -> applyNe(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case LT -> applyLt(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case LE -> applyLe(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case GT -> applyGt(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
            case GE -> applyGe(a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
        }
        for (int i = bound; i < n; i++) {                               // tail: fewer than L elements
            out.setAtIndex(F32, oOff + i, RefBinary.apply(f, a.getAtIndex(F32, aOff + (long) i * aInc),
                    b.getAtIndex(F32, bOff + (long) i * bInc)));
        }
    }

    /**
     * See RefBinary.where: out[oOff + i] = cond[..] != 0 ? a[..] : b[..] (NaN counts as nonzero, so true),
     * each input indexed base + i * inc with inc in {0, 1}.
     */
    public static void where(MemorySegment cond, long cOff, int cInc, MemorySegment a, long aOff, int aInc,
                             MemorySegment b, long bOff, int bInc, MemorySegment out, long oOff, int n) {
        int i = 0;
        if (cInc == 1 && aInc == 1 && bInc == 1) {
            for (final int bound = S.loopBound(n); i < bound; i += L) {
                VectorMask<Float> isFalse = ld(cond, cOff + i).compare(VectorOperators.EQ, 0f);
                st(ld(a, aOff + i).blend(ld(b, bOff + i), isFalse), out, oOff + i);
            }
        }
        for (; i < n; i++) {
            float c = cond.getAtIndex(F32, cOff + (long) i * cInc);
            out.setAtIndex(F32, oOff + i, c != 0f ? a.getAtIndex(F32, aOff + (long) i * aInc)
                    : b.getAtIndex(F32, bOff + (long) i * bInc));
        }
    }

    /** See RefBinary.axpy: y[yOff + i] = fma(alpha, x[xOff + i * xInc], y[yOff + i]), xInc in {0, 1}. */
    public static void axpy(float alpha, MemorySegment x, long xOff, int xInc, MemorySegment y, long yOff, int n) {
        if (n <= 0) {
            return;
        }
        int i = 0;
        final int bound = S.loopBound(n);
        final FloatVector va = FloatVector.broadcast(S, alpha);
        if (xInc == 1) {
            for (; i < bound; i += L) {
                st(ld(x, xOff + i).fma(va, ld(y, yOff + i)), y, yOff + i);
            }
        } else {
            FloatVector vx = FloatVector.broadcast(S, x.getAtIndex(F32, xOff));
            for (; i < bound; i += L) {
                st(vx.fma(va, ld(y, yOff + i)), y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float xi = x.getAtIndex(F32, xOff + (long) i * xInc);
            y.setAtIndex(F32, yOff + i, Math.fma(xi, alpha, y.getAtIndex(F32, yOff + i)));
        }
    }

    // one small method per function (see SimdUnary)

    private static void applyAdd(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.add(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.add(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.add(vb), out, oOff + i);
            }
        }
    }

    private static void applySub(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.sub(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.sub(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.sub(vb), out, oOff + i);
            }
        }
    }

    private static void applyMul(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.mul(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.mul(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.mul(vb), out, oOff + i);
            }
        }
    }

    private static void applyDiv(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.div(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.div(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.div(vb), out, oOff + i);
            }
        }
    }

    private static void applyPow(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        // per element with the twin's StrictMath.pow: lanewise(POW) differs between JIT tiers (see VecMath), and a
        // vector exp(b log a) is not accurate enough for large results
        RefBinary.apply(BinaryFn.POW, a, aOff, aInc, b, bOff, bInc, out, oOff, bound);
    }

    private static void applyMaximum(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.max(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.max(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.max(vb), out, oOff + i);
            }
        }
    }

    private static void applyMinimum(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(va.min(vb), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(va.min(vb), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(va.min(vb), out, oOff + i);
            }
        }
    }

    private static void applyEq(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.EQ, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.EQ, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.EQ, vb)), out, oOff + i);
            }
        }
    }

    private static void applyNe(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.NE, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.NE, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.NE, vb)), out, oOff + i);
            }
        }
    }

    private static void applyLt(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LT, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LT, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LT, vb)), out, oOff + i);
            }
        }
    }

    private static void applyLe(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LE, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LE, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.LE, vb)), out, oOff + i);
            }
        }
    }

    private static void applyGt(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GT, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GT, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GT, vb)), out, oOff + i);
            }
        }
    }

    private static void applyGe(MemorySegment a, long aOff, int aInc, MemorySegment b, long bOff, int bInc,
            MemorySegment out, long oOff, int bound) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        if (aInc == 1 && bInc == 1) {
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GE, vb)), out, oOff + i);
            }
        } else if (aInc == 1) {
            FloatVector vb = FloatVector.broadcast(S, b.getAtIndex(F32, bOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector va = ld(a, aOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GE, vb)), out, oOff + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(S, a.getAtIndex(F32, aOff));
            for (int i = 0; i < bound; i += L) {
                FloatVector vb = ld(b, bOff + i);
                st(zero.blend(one, va.compare(VectorOperators.GE, vb)), out, oOff + i);
            }
        }
    }

    private static FloatVector ld(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * Float.BYTES, NATIVE);
    }

    private static void st(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * Float.BYTES, NATIVE);
    }
}
