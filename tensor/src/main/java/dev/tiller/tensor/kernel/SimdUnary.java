package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefUnary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SIMD element-wise float32 kernels over contiguous runs: one loop per function to species.loopBound(n), then the
 * scalar twin finishes the tail. Twin: RefUnary (same signatures and contract, evaluated in double).
 *
 * <p>Accuracy: EXP, LOG and TANH lanes come from VecMath (same bits in every JIT tier; exp and log within 2 ulp of
 * exact, tanh and log1p within 3 ulp); POW is the twin's StrictMath.pow per element (within 1 ulp). Composite
 * functions round after each float step; the twin tests derive their tolerance from that. erf is the float minimax
 * approximation of N. Juffa ("Efficient, faithfully rounded implementation of erff", Stack Overflow 35148198, max
 * error under 1 ulp): an odd polynomial for |x| <= 475/512 and 1 - e^(r(|x|)) with a polynomial r above.
 *
 * <p>NOTE: the last n mod L elements of a call come from the twin (double), so an element's last bit may depend on
 * where it falls relative to a call's end. The op layer cuts work at fixed, shape-determined points, so results stay
 * reproducible for any thread count. Each function has its own small loop method: one huge switch of vector loops
 * was deoptimised whenever a new case ran, and C1 ran out of registers compiling it.
 */
public final class SimdUnary {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    private static final float GELU_2K = 2f * 0.79788456080286536f;    // 2 sqrt(2 / pi)
    private static final float GELU_C = 0.044715f;
    private static final float ERF_SPLIT = 0.927734375f;                // 475 / 512, Juffa's branch point
    /**
     * Floats per block for kernels split into passes. C2 stops inlining once a compilation reaches its node
     * cutoff (NodeCountInliningCutoff, not settable in product JVMs); a Vector API op expands to dozens of nodes,
     * so a loop body holding an exp plus a polynomial or two runs past it, the vector helpers are called instead
     * of inlined, and every FloatVector between them is boxed on the heap (64 MB per GELU over 2M floats). Such
     * kernels run as a few short loops over a block held in a float[] (2 KiB, in L1); the lane operations and
     * their order are unchanged, so the bits are the same as one fused loop's. The passes (methods named
     * *Pass) must compile on their own, not inlined into their caller: the launcher, Surefire and JMH pass
     * {@code -XX:CompileCommand=dontinline,dev.tiller.tensor.kernel.*::*Pass}. Without it results are
     * the same, only slower, whenever C2 happens to inline a pass.
     */
    private static final int PASS_BLOCK = 512;
    /**
     * The passes' per-thread blocks of intermediates (two for kernels that keep two), instead of a new array a call.
     */
    private static final ThreadScratch PASS_A = new ThreadScratch();
    private static final ThreadScratch PASS_B = new ThreadScratch();

    private SimdUnary() {}

    /** See RefUnary.map: y = f(x) element-wise over n contiguous floats. */
    public static void map(UnaryFn f, float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
                           int n) {
        final int bound = S.loopBound(n);
        switch (f) {
            case NEG -> mapNeg(p, q, x, xOff, y, yOff, bound);
            case ABS -> mapAbs(p, q, x, xOff, y, yOff, bound);
            case EXP -> mapExp(p, q, x, xOff, y, yOff, bound);
            case LOG -> mapLog(p, q, x, xOff, y, yOff, bound);
            case SQRT -> mapSqrt(p, q, x, xOff, y, yOff, bound);
            case RSQRT -> mapRsqrt(p, q, x, xOff, y, yOff, bound);
            case SQUARE -> mapSquare(p, q, x, xOff, y, yOff, bound);
            case RECIPROCAL -> mapReciprocal(p, q, x, xOff, y, yOff, bound);
            case TANH -> mapTanh(p, q, x, xOff, y, yOff, bound);
            case SIGMOID -> mapSigmoid(p, q, x, xOff, y, yOff, bound);
            case RELU -> mapRelu(p, q, x, xOff, y, yOff, bound);
            case SILU -> mapSilu(p, q, x, xOff, y, yOff, bound);
            case ERF -> mapErf(p, q, x, xOff, y, yOff, bound);
            case GELU -> mapGelu(p, q, x, xOff, y, yOff, bound);
            case GELU_TANH -> mapGeluTanh(p, q, x, xOff, y, yOff, bound);
            case SOFTPLUS -> mapSoftplus(p, q, x, xOff, y, yOff, bound);
            case LEAKY_RELU -> mapLeakyRelu(p, q, x, xOff, y, yOff, bound);
            case POW -> mapPow(p, q, x, xOff, y, yOff, bound);
            case CLAMP -> mapClamp(p, q, x, xOff, y, yOff, bound);
            case ADD_SCALAR -> mapAddScalar(p, q, x, xOff, y, yOff, bound);
            case MUL_SCALAR -> mapMulScalar(p, q, x, xOff, y, yOff, bound);
        }
        for (int i = bound; i < n; i++) {                         // tail: fewer than L elements
            y.setAtIndex(F32, yOff + i, RefUnary.apply(f, p, q,
                    x.getAtIndex(F32, xOff + i)));
        }
    }

    /** See RefUnary.backward: dx = dOut * f'(at), at = x or (TANH, SIGMOID) y. */
    public static void backward(UnaryFn f, float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
                                MemorySegment dx, long dxOff, int n) {
        final int bound = S.loopBound(n);
        switch (f) {
            case RELU -> backRelu(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case LEAKY_RELU -> backLeakyRelu(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case CLAMP -> backClamp(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case TANH -> backTanh(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case SIGMOID -> backSigmoid(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case SILU -> backSilu(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case SOFTPLUS -> backSoftplus(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case GELU -> backGelu(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            case GELU_TANH -> backGeluTanh(p, q, at, aOff, dOut, dOff, dx, dxOff, bound);
            default -> throw new IllegalArgumentException("SimdUnary.backward: no backward helper for " + f
                    + "; compose it from other ops");
        }
        for (int i = bound; i < n; i++) {
            float v = at.getAtIndex(F32, aOff + i);
            float g = dOut.getAtIndex(F32, dOff + i);
            dx.setAtIndex(F32, dxOff + i, RefUnary.derivative(f, p, q, v, g));
        }
    }

    /**
     * map(GELU) that also writes k = 1 + erf(x / sqrt2) (the forward's own intermediate, so y has the same bits as
     * map's), for {@link #geluBackwardKept}. The tail (fewer than L elements) is scalar, as map's, and its backward
     * recomputes from x.
     */
    public static void geluKeep(MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment k, long kOff,
                                int n) {
        final int bound = S.loopBound(n);
        float[] erfc = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            erfcPass(INV_SQRT2, x, xOff + b, erfc, len);
            geluKeepPass(x, xOff + b, y, yOff + b, k, kOff + b, erfc, len);
        }
        for (int i = bound; i < n; i++) {
            float v = x.getAtIndex(F32, xOff + i);
            y.setAtIndex(F32, yOff + i, RefUnary.apply(UnaryFn.GELU, 0f, 0f, v));
            k.setAtIndex(F32, kOff + i, (float) RefUnary.erfc(-v * INV_SQRT2));
        }
    }

    private static void geluKeepPass(MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment k,
                                     long kOff, float[] erfc, int len) {
        for (int i = 0; i < len; i += L) {
            FloatVector v = ld(x, xOff + i);
            FloatVector ope = onePlusErf(v.mul(INV_SQRT2), FloatVector.fromArray(S, erfc, i));
            st(ope, k, kOff + i);
            st(v.mul(0.5f).mul(ope), y, yOff + i);
        }
    }

    /**
     * backward(GELU) from k as {@link #geluKeep} wrote it: the same lane operations as backGelu with its erfc pass
     * replaced by k, so the same bits, for about half the work.
     */
    public static void geluBackwardKept(MemorySegment at, long aOff, MemorySegment k, long kOff, MemorySegment dOut,
                                        long dOff, MemorySegment dx, long dxOff, int n) {
        final int bound = S.loopBound(n);
        float[] phi = PASS_B.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(at, aOff + b + i);
                v.mul(v).mul(-0.5f).intoArray(phi, i);
            }
            expPass(phi, len);                                  // e^(-x^2 / 2)
            geluBackwardKeptPass(at, aOff + b, k, kOff + b, dOut, dOff + b, dx, dxOff + b, phi, len);
        }
        for (int i = bound; i < n; i++) {
            dx.setAtIndex(F32, dxOff + i, RefUnary.derivative(UnaryFn.GELU, 0f, 0f, at.getAtIndex(F32, aOff + i),
                    dOut.getAtIndex(F32, dOff + i)));
        }
    }

    private static void geluBackwardKeptPass(MemorySegment at, long aOff, MemorySegment k, long kOff,
                                             MemorySegment dOut, long dOff, MemorySegment dx, long dxOff, float[] phi,
                                             int len) {
        for (int i = 0; i < len; i += L) {
            FloatVector v = ld(at, aOff + i);
            FloatVector dens = FloatVector.fromArray(S, phi, i).mul(INV_SQRT_2PI);
            FloatVector d = ld(k, kOff + i).mul(0.5f).add(v.mul(dens));
            st(ld(dOut, dOff + i).mul(d), dx, dxOff + i);
        }
    }

    // ---------------------------------------------------------------- one small method per function, so each
    // loop compiles on its own and a newly used function never deoptimises the others

    private static void mapNeg(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).neg(), y, yOff + i);
        }
    }

    private static void mapAbs(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).abs(), y, yOff + i);
        }
    }

    private static void mapExp(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(VecMath.exp(ld(x, xOff + i)), y, yOff + i);
        }
    }

    private static void mapLog(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] a = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            for (int i = 0; i < len; i += L) {
                ld(x, xOff + b + i).intoArray(a, i);
            }
            logPass(a, len);
            for (int i = 0; i < len; i += L) {
                st(FloatVector.fromArray(S, a, i), y, yOff + b + i);
            }
        }
    }

    /**
     * a = log(a) in place over len floats (a multiple of L). A pass of its own (PASS_BLOCK): with segment loads and
     * stores in the same loop, C2 compiled part of VecMath.log as boxed calls (16 MB of heap per 2M floats).
     */
    private static void logPass(float[] a, int len) {
        for (int i = 0; i < len; i += L) {
            VecMath.log(FloatVector.fromArray(S, a, i)).intoArray(a, i);
        }
    }

    /** a = log1p(a) in place over len floats (a multiple of L); a pass of its own, as logPass. */
    private static void log1pPass(float[] a, int len) {
        for (int i = 0; i < len; i += L) {
            VecMath.log1p(FloatVector.fromArray(S, a, i)).intoArray(a, i);
        }
    }

    private static void mapSqrt(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).sqrt(), y, yOff + i);
        }
    }

    private static void mapRsqrt(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < bound; i += L) {
            st(one.div(ld(x, xOff + i).sqrt()), y, yOff + i);
        }
    }

    private static void mapSquare(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(x, xOff + i);
            st(v.mul(v), y, yOff + i);
        }
    }

    private static void mapReciprocal(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < bound; i += L) {
            st(one.div(ld(x, xOff + i)), y, yOff + i);
        }
    }

    private static void mapTanh(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(VecMath.tanh(ld(x, xOff + i)), y, yOff + i);
        }
    }

    private static void mapSigmoid(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(sigmoid(ld(x, xOff + i)), y, yOff + i);
        }
    }

    private static void mapRelu(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).max(0f), y, yOff + i);
        }
    }

    private static void mapSilu(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] e = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            expNegAbsPass(x, xOff + b, 1f, e, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(x, xOff + b + i);
                st(v.mul(sigmoid(v, FloatVector.fromArray(S, e, i))), y, yOff + b + i);
            }
        }
    }

    private static void mapErf(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] erfc = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            erfcPass(1f, x, xOff + b, erfc, len);
            for (int i = 0; i < len; i += L) {
                st(erf(ld(x, xOff + b + i), FloatVector.fromArray(S, erfc, i)), y, yOff + b + i);
            }
        }
    }

    private static void mapGelu(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] erfc = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            erfcPass(INV_SQRT2, x, xOff + b, erfc, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(x, xOff + b + i);
                FloatVector e = FloatVector.fromArray(S, erfc, i);
                st(v.mul(0.5f).mul(onePlusErf(v.mul(INV_SQRT2), e)), y, yOff + b + i);
            }
        }
    }

    private static void mapGeluTanh(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] e = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            geluTanhExpPass(x, xOff + b, e, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(x, xOff + b + i);
                st(v.mul(sigmoid(geluTanhArg(v), FloatVector.fromArray(S, e, i))), y, yOff + b + i);
            }
        }
    }

    private static void mapSoftplus(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        float[] a = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            for (int i = 0; i < len; i += L) {
                ld(x, xOff + b + i).mul(p).intoArray(a, i);
            }
            expPass(a, len);
            log1pPass(a, len);                                            // log1p(e^(beta x))
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(x, xOff + b + i);
                FloatVector sp = FloatVector.fromArray(S, a, i).div(p);
                st(sp.blend(v, v.mul(p).compare(VectorOperators.GT, q)), y, yOff + b + i);
            }
        }
    }

    private static void mapLeakyRelu(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(x, xOff + i);
            st(v.blend(v.mul(p), v.compare(VectorOperators.LE, 0f)), y, yOff + i);
        }
    }

    private static void mapPow(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        // per element with the twin (StrictMath.pow in double): a vector pow built as exp(p log x) loses accuracy for
        // large results, and lanewise(POW) differs between JIT tiers (see VecMath)
        for (int i = 0; i < bound; i++) {
            y.setAtIndex(F32, yOff + i, RefUnary.apply(UnaryFn.POW, p, q, x.getAtIndex(F32, xOff + i)));
        }
    }

    private static void mapClamp(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).max(p).min(q), y, yOff + i);
        }
    }

    private static void mapAddScalar(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).add(p), y, yOff + i);
        }
    }

    private static void mapMulScalar(float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
            int bound) {
        for (int i = 0; i < bound; i += L) {
            st(ld(x, xOff + i).mul(p), y, yOff + i);
        }
    }

    private static void backRelu(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(at, aOff + i);
            FloatVector g = ld(dOut, dOff + i);
            st(g.blend(0f, v.compare(VectorOperators.GT, 0f).not()), dx, dxOff + i);
        }
    }

    private static void backLeakyRelu(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(at, aOff + i);
            FloatVector g = ld(dOut, dOff + i);
            st(g.blend(g.mul(p), v.compare(VectorOperators.GT, 0f).not()), dx, dxOff + i);
        }
    }

    private static void backClamp(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(at, aOff + i);
            FloatVector g = ld(dOut, dOff + i);
            VectorMask<Float> in = v.compare(VectorOperators.GE, p).and(v.compare(VectorOperators.LE, q));
            st(g.blend(0f, in.not()), dx, dxOff + i);
        }
    }

    private static void backTanh(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(at, aOff + i);
            // (1 - y)(1 + y), not 1 - y^2: 1 - |y| is exact for |y| >= 1/2, so no cancellation near |y| = 1
            st(ld(dOut, dOff + i).mul(one.sub(v).mul(one.add(v))), dx, dxOff + i);
        }
    }

    private static void backSigmoid(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = ld(at, aOff + i);
            st(ld(dOut, dOff + i).mul(v.mul(one.sub(v))), dx, dxOff + i);
        }
    }

    private static void backSilu(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        float[] ea = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            expNegAbsPass(at, aOff + b, 1f, ea, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(at, aOff + b + i);
                FloatVector e = FloatVector.fromArray(S, ea, i);
                FloatVector sAbs = one.div(one.add(e));               // sigmoid(|x|)
                FloatVector sNeg = e.mul(sAbs);                       // sigmoid(-|x|)
                VectorMask<Float> neg = v.compare(VectorOperators.LT, 0f);
                FloatVector s = sAbs.blend(sNeg, neg);                // sigmoid(x)
                FloatVector oneMinusS = sNeg.blend(sAbs, neg);        // 1 - sigmoid(x), without cancellation
                st(ld(dOut, dOff + b + i).mul(s.mul(one.add(v.mul(oneMinusS)))), dx, dxOff + b + i);
            }
        }
    }

    private static void backSoftplus(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        float[] e = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            expNegAbsPass(at, aOff + b, p, e, len);                       // e^-|beta x|
            for (int i = 0; i < len; i += L) {
                FloatVector bx = ld(at, aOff + b + i).mul(p);
                FloatVector slope = sigmoid(bx, FloatVector.fromArray(S, e, i))
                        .blend(1f, bx.compare(VectorOperators.GT, q));
                st(ld(dOut, dOff + b + i).mul(slope), dx, dxOff + b + i);
            }
        }
    }

    private static void backGelu(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        float[] erfc = PASS_A.get(PASS_BLOCK);
        float[] phi = PASS_B.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            erfcPass(INV_SQRT2, at, aOff + b, erfc, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(at, aOff + b + i);
                v.mul(v).mul(-0.5f).intoArray(phi, i);
            }
            expPass(phi, len);                                  // e^(-x^2 / 2)
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(at, aOff + b + i);
                FloatVector e = FloatVector.fromArray(S, erfc, i);
                // d/dx 0.5 x (1 + erf(x / sqrt2)) = 0.5 (1 + erf(x / sqrt2)) + x phi(x), phi the normal density
                FloatVector dens = FloatVector.fromArray(S, phi, i).mul(INV_SQRT_2PI);
                FloatVector d = onePlusErf(v.mul(INV_SQRT2), e).mul(0.5f).add(v.mul(dens));
                st(ld(dOut, dOff + b + i).mul(d), dx, dxOff + b + i);
            }
        }
    }

    private static void backGeluTanh(float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
            MemorySegment dx, long dxOff, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        float[] ea = PASS_A.get(PASS_BLOCK);
        for (int b = 0; b < bound; b += PASS_BLOCK) {
            int len = Math.min(PASS_BLOCK, bound - b);
            geluTanhExpPass(at, aOff + b, ea, len);
            for (int i = 0; i < len; i += L) {
                FloatVector v = ld(at, aOff + b + i);
                FloatVector w = geluTanhArg(v);                      // 2u
                FloatVector e = FloatVector.fromArray(S, ea, i);     // e^-|2u|
                FloatVector sAbs = one.div(one.add(e));
                FloatVector sNeg = e.mul(sAbs);
                VectorMask<Float> neg = w.compare(VectorOperators.LT, 0f);
                FloatVector s = sAbs.blend(sNeg, neg);
                FloatVector oneMinusS = sNeg.blend(sAbs, neg);
                // s + 2 x s (1 - s) k (1 + 3 c x^2), with 2k folded into GELU_2K
                FloatVector poly = v.mul(v).mul(3f * GELU_C).add(one);
                FloatVector d = s.add(v.mul(s).mul(oneMinusS).mul(poly).mul(GELU_2K));
                st(ld(dOut, dOff + b + i).mul(d), dx, dxOff + b + i);
            }
        }
    }

    /**
     * e = e^-|scale x| over len floats of x (a multiple of L), for SiLU (scale 1: x * 1 is exact, so the same bits)
     * and softplus' slope (scale beta): two loops, see PASS_BLOCK.
     */
    private static void expNegAbsPass(MemorySegment x, long xOff, float scale, float[] e, int len) {
        for (int i = 0; i < len; i += L) {
            ld(x, xOff + i).mul(scale).abs().neg().intoArray(e, i);
        }
        expPass(e, len);
    }

    /** e = e^-|2u| over len floats of x (a multiple of L), 2u = geluTanhArg(x), for tanh-GELU and its gradient. */
    private static void geluTanhExpPass(MemorySegment x, long xOff, float[] e, int len) {
        for (int i = 0; i < len; i += L) {
            geluTanhArg(ld(x, xOff + i)).abs().neg().intoArray(e, i);
        }
        expPass(e, len);
    }

    /** a = e^a in place over len floats (a multiple of L): the exp pass of the kernels split per PASS_BLOCK. */
    private static void expPass(float[] a, int len) {
        for (int i = 0; i < len; i += L) {
            VecMath.exp(FloatVector.fromArray(S, a, i)).intoArray(a, i);
        }
    }

    private static FloatVector ld(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * Float.BYTES, NATIVE);
    }

    private static void st(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * Float.BYTES, NATIVE);
    }

    /**
     * sigmoid(v) without overflow: with e = e^-|v| in (0, 1], sigmoid(|v|) = 1 / (1 + e) and
     * sigmoid(-|v|) = e / (1 + e), so very negative inputs give small positive results instead of 1 / inf = 0.
     */
    private static FloatVector sigmoid(FloatVector v) {
        return sigmoid(v, VecMath.exp(v.abs().neg()));
    }

    /** sigmoid(v) given e = e^-|v| (from expPass). */
    private static FloatVector sigmoid(FloatVector v, FloatVector e) {
        FloatVector s = FloatVector.broadcast(S, 1f).div(e.add(1f));
        return s.blend(e.mul(s), v.compare(VectorOperators.LT, 0f));
    }

    /** 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) = 2 sqrt(2/pi) x (1 + 0.044715 x^2). */
    private static FloatVector geluTanhArg(FloatVector v) {
        return v.mul(v).fma(GELU_C, 1f).mul(v).mul(GELU_2K);
    }

    /** Juffa's odd polynomial for erf on |z| <= 475/512: z + z p(z^2). */
    private static FloatVector erfSmall(FloatVector z, FloatVector s) {
        FloatVector r = s.fma(-5.96761703e-4f, 4.99119423e-3f);
        r = r.fma(s, FloatVector.broadcast(S, -2.67681349e-2f));
        r = r.fma(s, FloatVector.broadcast(S, 1.12819925e-1f));
        r = r.fma(s, FloatVector.broadcast(S, -3.76125336e-1f));
        r = r.fma(s, FloatVector.broadcast(S, 1.28379166e-1f));
        return r.fma(z, z);
    }

    /** Juffa's r(t) with erfc(t) = e^r(t) for t = |z| > 475/512 (so erf(t) = 1 - e^r). */
    private static FloatVector logErfcLarge(FloatVector t, FloatVector s) {
        FloatVector r = t.fma(-1.72853470e-5f, 3.83197126e-4f);
        FloatVector u = t.fma(-3.88396438e-3f, 2.42546219e-2f);
        r = r.fma(s, u);
        r = r.fma(t, FloatVector.broadcast(S, -1.06777877e-1f));
        r = r.fma(t, FloatVector.broadcast(S, -6.34846687e-1f));
        r = r.fma(t, FloatVector.broadcast(S, -1.28717512e-1f));
        return r.fma(t, t.neg());
    }

    /**
     * erfc(|scale x|) = e^r(t) for len floats of x into out, as two loops (the polynomial, then exp in place) so
     * each stays small enough for C2 to keep its vectors in registers; see PASS_BLOCK.
     */
    private static void erfcPass(float scale, MemorySegment x, long xOff, float[] out, int len) {
        for (int i = 0; i < len; i += L) {
            FloatVector t = ld(x, xOff + i).mul(scale).abs();
            logErfcLarge(t, t.mul(t)).intoArray(out, i);
        }
        expPass(out, len);
    }

    /** erf(z), the approximation described in the class comment; erfc = e^r(|z|) from erfcPass. */
    private static FloatVector erf(FloatVector z, FloatVector erfc) {
        FloatVector t = z.abs();
        FloatVector large = erfc.neg().add(1f);                                              // erf(|z|)
        large = large.blend(large.neg(), z.compare(VectorOperators.LT, 0f));                  // copysign
        return erfSmall(z, z.mul(z)).blend(large, t.compare(VectorOperators.GT, ERF_SPLIT));
    }

    /**
     * 1 + erf(z) without cancellation: 1 + small(z) on the central branch, 2 - erfc(|z|) for z > 475/512 and
     * erfc(|z|) = e^r itself for z < -475/512 (where 1 + erf(z) = 1 - erf(|z|) would cancel). r is fitted for erf's
     * absolute accuracy, so e^r is within about 2^-24 absolute everywhere and within 1e-4 relative for |z| <= 4.2.
     * erfc = e^r(|z|) from erfcPass.
     */
    private static FloatVector onePlusErf(FloatVector z, FloatVector erfc) {
        FloatVector t = z.abs();
        FloatVector large = erfc.blend(erfc.neg().add(2f), z.compare(VectorOperators.GT, 0f));
        return erfSmall(z, z.mul(z)).add(1f).blend(large, t.compare(VectorOperators.GT, ERF_SPLIT));
    }
}
