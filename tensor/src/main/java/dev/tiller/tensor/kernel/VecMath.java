package dev.tiller.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Deterministic float32 vector math for the SIMD kernels: exp, log, log1p, expm1, tanh and lane-order sums built
 * only from exactly rounded operations (add, sub, mul, div, fma), compares, blends and integer bit operations, so a
 * lane's result is the same bits in the interpreter, C1 and C2 and on every species width.
 *
 * <p>Why: {@code lanewise(VectorOperators.EXP | LOG | TANH | ...)} is SVML in C2 but {@code Math.*} per lane in the
 * interpreter (up to 1 ulp apart), and {@code reduceLanes(ADD)} on floats adds in tree order when intrinsified but in
 * lane order otherwise. Threads warm up at different times, so either would make results depend on timing and
 * thread count. Scalar tails must use {@code StrictMath} (fdlibm), never {@code Math}, for the same
 * reason. DeterministicMathTest enforces this by scanning the sources.
 *
 * <p>Accuracy (against StrictMath in double, 400,000 random floats per function over the whole useful range plus
 * special values, 256- and 128-bit species): measured worst errors exp 1.24, log 0.77, expm1 1.34, log1p 2.25 and
 * tanh 2.28 ulp. The stated bounds, which VecMathTest re-checks on 200,000 floats each, are exp, log and expm1
 * within 2 ulp, log1p and tanh within 3 ulp of the exact result for normal results. Special values follow
 * StrictMath: NaN gives NaN, exp(-inf) = 0, exp(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf,
 * log1p(-1) = -inf, expm1(-inf) = -1, tanh(+-inf) = +-1, and -0 is kept by log1p, expm1 and tanh.
 */
public final class VecMath {
    private VecMath() {}

    // ------------------------------------------------------------------------------------------------ exp, expm1

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;         // Cody-Waite split of ln 2: LN2_HI is exact in 9 bits
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND_MAGIC = 12582912f;       // 1.5 * 2^23: adding it rounds to an integer
    private static final float EXP_LOW = -110f;               // exp(-110) < 2^-150: rounds to 0
    private static final float EXP_HIGH = 89f;                // exp(89) > FLT_MAX: overflows to +infinity
    // Cephes expf minimax polynomial for exp(r) on |r| <= ln(2)/2: 1 + r + r^2 (P5 + r (P4 + ...))
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** (exp(r) - 1 - r) / r^2 for |r| <= ln(2)/2 (Cephes expf polynomial). */
    private static FloatVector expPoly(FloatVector r) {
        FloatVector p = r.fma(r.broadcast(P0), r.broadcast(P1));
        p = p.fma(r, r.broadcast(P2));
        p = p.fma(r, r.broadcast(P3));
        p = p.fma(r, r.broadcast(P4));
        return p.fma(r, r.broadcast(P5));
    }

    /**
     * exp of each lane (Cephes expf: x = n ln 2 + r with |r| <= ln(2)/2, exp(x) = 2^n exp(r)). Within 2 ulp of the
     * exact value for normal results; subnormal results are rounded once from the polynomial's value; exp(x) = 0
     * for x <= -110 (and -infinity), +infinity for x >= 89 (and +infinity), NaN for NaN. No blends or masks: the
     * clamp alone handles the edges (max and min propagate NaN). Works for any float species.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LOW).min(EXP_HIGH);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);           // round(x log2 e) + magic, one rounding
        FloatVector n = t.sub(ROUND_MAGIC);                   // exact: n in [-159, 128]
        FloatVector r = n.fma(x.broadcast(-LN2_LO), n.fma(x.broadcast(-LN2_HI), xc));
        FloatVector y = expPoly(r).fma(r.mul(r), r.add(1f));
        // 2^n as two normal powers of two 2^h1 2^h2 (h1 = n >> 1, h2 = n - h1, both in [-80, 64]): y 2^h1 is exact,
        // and the one rounding at * 2^h2 gives subnormals, 0 and overflow to infinity correctly. t's low bits hold
        // n + 0x400000 because t's exponent is that of 2^23.
        IntVector ni = t.reinterpretAsInts().sub(0x4B400000);
        IntVector h1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector h2 = ni.sub(h1);
        FloatVector f1 = h1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector f2 = h2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(f1).mul(f2);
    }

    private static final float EXPM1_HIGH = 20f;   // above: exp(x) - 1 (exp(x) > 2^28, so the -1 is below 1/2 ulp)
    private static final float EXPM1_LOW = -20f;   // below: -1 (expm1(-20) = -1 + 2e-9 rounds to -1)

    /**
     * exp(x) - 1 of each lane, accurate near 0: with x = n ln 2 + r, expm1(x) = 2^n expm1(r) + (2^n - 1), where
     * expm1(r) = r + r^2 p(r) and 2^n - 1 is exact for |n| <= 24, summed by one fma. Within 2 ulp. expm1(+-0) = +-0,
     * -1 for x <= -20 and -infinity, exp(x) - 1 above 20 (so +infinity for x >= 89), NaN for NaN.
     */
    public static FloatVector expm1(FloatVector x) {
        FloatVector y = expm1Core(x.max(EXPM1_LOW).min(EXPM1_HIGH), x);
        y = y.blend(exp(x).sub(1f), x.compare(VectorOperators.GT, EXPM1_HIGH));
        return y.blend(x, x.compare(VectorOperators.EQ, 0f));           // keeps the sign of zero
    }

    /** expm1 of xc, already clamped to [EXPM1_LOW, EXPM1_HIGH]; x only supplies the species for broadcasts. */
    private static FloatVector expm1Core(FloatVector xc, FloatVector x) {
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);                   // exact: n in [-29, 29]
        FloatVector r = n.fma(x.broadcast(-LN2_LO), n.fma(x.broadcast(-LN2_HI), xc));
        FloatVector em1r = expPoly(r).fma(r.mul(r), r);      // expm1(r)
        IntVector ni = t.reinterpretAsInts().sub(0x4B400000);
        FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();   // 2^n, normal
        return em1r.fma(scale, scale.sub(1f));
    }

    // ------------------------------------------------------------------------------------------------ log, log1p

    // musl / FreeBSD logf: log(1 + f) = f - hfsq + s (hfsq + R(s^2)) with s = f / (2 + f), hfsq = f^2 / 2,
    // f in [sqrt(1/2) - 1, sqrt(2) - 1]
    private static final float LN2_HI_L = 6.9313812256e-01f;  // 0x3f317180
    private static final float LN2_LO_L = 9.0580006145e-06f;  // 0x3717f7d1
    private static final float LG1 = 0.66666662693f;          // 0xaaaaaa.0p-24
    private static final float LG2 = 0.40000972152f;          // 0xccce13.0p-25
    private static final float LG3 = 0.28498786688f;          // 0x91e9ee.0p-25
    private static final float LG4 = 0.24279078841f;          // 0xf89e26.0p-26
    private static final int SQRT_HALF_BITS = 0x3f3504f3;
    private static final float TWO_25 = 33554432f;

    /**
     * Natural log of each lane (musl logf: x = 2^k m with m in [sqrt(1/2), sqrt(2)), a rational approximation of
     * log(m)). Within 2 ulp; subnormal inputs are scaled by 2^25 first. log(+-0) = -infinity, log(x < 0) = NaN,
     * log(+infinity) = +infinity, NaN for NaN.
     */
    public static FloatVector log(FloatVector x) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(TWO_25), sub);
        FloatVector kAdj = x.broadcast(0f).blend(25f, sub);
        IntVector ix = xs.reinterpretAsInts().add(0x3f800000 - SQRT_HALF_BITS);
        IntVector k = ix.lanewise(VectorOperators.ASHR, 23).sub(0x7f);
        FloatVector m = ix.and(0x007fffff).add(SQRT_HALF_BITS).reinterpretAsFloats();
        FloatVector dk = ((FloatVector) k.convert(VectorOperators.I2F, 0)).sub(kAdj);
        FloatVector f = m.sub(1f);                                          // exact (Sterbenz)
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector w = z.mul(z);
        FloatVector t1 = w.mul(w.fma(x.broadcast(LG4), x.broadcast(LG2)));
        FloatVector t2 = z.mul(w.fma(x.broadcast(LG3), x.broadcast(LG1)));
        FloatVector rr = t2.add(t1);
        FloatVector hfsq = f.mul(f).mul(0.5f);
        FloatVector y = s.mul(hfsq.add(rr)).add(dk.mul(LN2_LO_L)).sub(hfsq).add(f).add(dk.mul(LN2_HI_L));
        y = y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        y = y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return y.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /**
     * log(1 + x) of each lane, accurate near 0 (Goldberg: with u = 1 + x rounded, log1p(x) = log(u) x / (u - 1),
     * which cancels u's rounding error). Within 3 ulp. log1p(+-0) = +-0, log1p(-1) = -infinity, NaN below -1,
     * +infinity for +infinity, NaN for NaN.
     */
    public static FloatVector log1p(FloatVector x) {
        FloatVector u = x.add(1f);
        FloatVector d = u.sub(1f);
        FloatVector y = log(u).mul(x.div(d));
        VectorMask<Float> keep = d.compare(VectorOperators.EQ, 0f)              // u == 1: log1p(x) = x to 1/2 ulp
                .or(x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        y = y.blend(x, keep);
        return y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, -1f));
    }

    // ------------------------------------------------------------------------------------------------ tanh

    private static final float TANH_ONE = 9.1f;     // tanh(x) rounds to 1 in float for x > 9.01

    /**
     * tanh of each lane: tanh(|x|) = e / (e + 2) with e = expm1(2|x|), sign copied from x. Within 3 ulp; accurate
     * near 0 (tanh(x) = x for tiny x, tanh(-0) = -0), +-1 for |x| >= 9.1 and +-infinity, NaN for NaN.
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        // 2|x| clamped below expm1's high branch: above TANH_ONE the result is 1 anyway, and skipping that branch
        // (a second exp) keeps the loops that call tanh small enough for C2 to inline whole (see SimdUnary)
        FloatVector e = expm1Core(a.add(a).min(2 * TANH_ONE), x);
        FloatVector t = e.div(e.add(2f));
        t = t.blend(1f, a.compare(VectorOperators.GT, TANH_ONE));
        // copysign(t, x): t >= 0 (or NaN), so OR in x's sign bit
        return t.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }

    // ------------------------------------------------------------------------------------------------ lane sums

    /** Sum of v's lanes in lane order, from 0: the same float additions in every JIT tier and on every CPU. */
    public static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int l = 0, n = v.length(); l < n; l++) {
            s += v.lane(l);
        }
        return s;
    }

    /** Sum of v's lanes in lane order, from 0: the same double additions in every JIT tier and on every CPU. */
    public static double sumLanes(DoubleVector v) {
        double s = 0;
        for (int l = 0, n = v.length(); l < n; l++) {
            s += v.lane(l);
        }
        return s;
    }
}
