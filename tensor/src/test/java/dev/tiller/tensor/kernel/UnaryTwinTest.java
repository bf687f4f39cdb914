package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.kernel.ref.RefUnary;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * SimdUnary against its twin RefUnary on random lengths (0..300, crossing every vector width and tail) and
 * misaligned offsets, inputs mixing ordinary values with NaN, +-inf and +-0. Tolerances are derived per function
 * from the float operations the SIMD kernel performs (see tolerance()); u = 2^-24 is the unit roundoff, an ulp of a
 * float r is at least u |r|, so a relative error of k u is at most k ulps. Ref results are within 0.5 ulp of exact.
 */
class UnaryTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final double U = 0x1p-24;
    private static final double K = Math.sqrt(2.0 / Math.PI);
    private static final double C = 0.044715;
    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_VALUE, -Float.MIN_NORMAL, 1f, -1f};
    private static final UnaryFn[] BACKWARD = {UnaryFn.RELU, UnaryFn.LEAKY_RELU, UnaryFn.CLAMP, UnaryFn.TANH,
        UnaryFn.SIGMOID, UnaryFn.SILU, UnaryFn.SOFTPLUS, UnaryFn.GELU, UnaryFn.GELU_TANH};

    @Test
    void simdForwardMatchesReference() {
        qt().withFixedSeed(20261122L).withExamples(600)
                .forAll(integers().between(0, UnaryFn.values().length - 1), integers().between(0, 300),
                        integers().between(0, 7), longs().all())
                .checkAssert((fi, n, off, seed) -> {
                    UnaryFn f = UnaryFn.values()[fi];
                    float p = param(f, seed, true);
                    float q = param(f, seed, false);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = inputs(arena, f, off + n, seed);
                        MemorySegment ys = arena.allocate(4L * (n + 3));
                        MemorySegment yr = arena.allocate(4L * (n + 3));
                        SimdUnary.map(f, p, q, x, off, ys, 3, n);
                        RefUnary.map(f, p, q, x, off, yr, 3, n);
                        for (int i = 0; i < n; i++) {
                            float xi = x.getAtIndex(F32, off + i);
                            check(f + "(" + xi + ") p=" + p + " q=" + q + " n=" + n + " i=" + i,
                                    ys.getAtIndex(F32, 3 + i), yr.getAtIndex(F32, 3 + i),
                                    forwardTolerance(f, p, xi, yr.getAtIndex(F32, 3 + i)));
                        }
                    }
                });
    }

    @Test
    void simdBackwardMatchesReference() {
        qt().withFixedSeed(20261123L).withExamples(400)
                .forAll(integers().between(0, BACKWARD.length - 1), integers().between(0, 300),
                        integers().between(0, 7), longs().all())
                .checkAssert((fi, n, off, seed) -> {
                    UnaryFn f = BACKWARD[fi];
                    float p = param(f, seed, true);
                    float q = param(f, seed, false);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment at = inputs(arena, f, off + n, seed);
                        if (f == UnaryFn.TANH || f == UnaryFn.SIGMOID) {        // these take the output y
                            SimdUnary.map(f, 0f, 0f, at, 0, at, 0, off + n);
                        }
                        MemorySegment g = uniform(arena, n, seed ^ 0x5DEECE66DL, -2f, 2f);
                        MemorySegment ds = arena.allocate(4L * (n + 1));
                        MemorySegment dr = arena.allocate(4L * (n + 1));
                        SimdUnary.backward(f, p, q, at, off, g, 0, ds, 1, n);
                        RefUnary.backward(f, p, q, at, off, g, 0, dr, 1, n);
                        for (int i = 0; i < n; i++) {
                            float v = at.getAtIndex(F32, off + i);
                            float gi = g.getAtIndex(F32, i);
                            float ref = dr.getAtIndex(F32, 1 + i);
                            check(f + "' at " + v + " g=" + gi + " p=" + p + " q=" + q + " i=" + i,
                                    ds.getAtIndex(F32, 1 + i), ref, backwardTolerance(f, p, v, gi, ref));
                        }
                    }
                });
    }

    /** Both NaN, or equal infinities, or finite within tol (tol 0: the same float, -0 and +0 distinct). */
    static void check(String what, float simd, float ref, double tol) {
        if (Float.isNaN(ref) || Float.isNaN(simd)) {
            assertTrue(Float.isNaN(ref) && Float.isNaN(simd), () -> what + ": simd " + simd + " ref " + ref);
            return;
        }
        if (Float.isInfinite(ref) || Float.isInfinite(simd)) {
            assertTrue(simd == ref, () -> what + ": simd " + simd + " ref " + ref);
            return;
        }
        if (tol == 0.0) {                                 // exact functions: the same float, sign of zero included
            assertTrue(Float.compare(simd, ref) == 0, () -> what + ": simd " + simd + " ref " + ref);
            return;
        }
        double d = Math.abs((double) simd - ref);
        if (!(d <= tol)) {
            fail(what + ": simd " + simd + " ref " + ref + " diff " + d + " tol " + tol + " (" + d / Math.ulp(ref)
                    + " ulp)");
        }
    }

    /** |simd - ref| bound for f(x) = ref; derivations inline. */
    static double forwardTolerance(UnaryFn f, float p, float xf, float ref) {
        double x = xf;
        double ulp = Math.ulp(ref);
        // near 0 rounding is absolute (2^-150 per step); where a product by x follows, x scales it
        double tiny = 0x1p-149;
        double sub = tiny * (1 + Math.abs(x));
        return switch (f) {
            // one correctly rounded float operation, as the double-then-round twin: bitwise equal
            case NEG, ABS, SQRT, SQUARE, RECIPROCAL, RELU, CLAMP, ADD_SCALAR, MUL_SCALAR, LEAKY_RELU -> 0.0;
            // VecMath lanes (exp, log within 2 ulp of exact, tanh within 3: VecMathTest), ref 0.5 ulp of exact
            case EXP, LOG -> 2.5 * ulp;
            case TANH -> 3.5 * ulp;
            // per element with the twin's own StrictMath.pow: bitwise equal
            case POW -> 0.0;
            // sqrt (u) then divide (u): 2u relative, ref 0.5 ulp
            case RSQRT -> 3 * ulp;
            // e = exp(-|x|) 4u (VecMath.exp, 2 ulp); 1 + e u (e's error enters scaled by e / (1 + e) <= 1/2: 2u);
            // 1 / (.) u: 4u; e s 5u more for x < 0: at most 9u, ref 0.5 ulp -> 10 ulp; subnormals round absolutely
            case SIGMOID -> 10 * ulp + 2 * tiny;       // e s with e subnormal: two absolute roundings
            case SILU -> 11 * ulp + 4 * sub;           // sigmoid 9u, one more product
            // Juffa erf <= 1 ulp with an exact exp; VecMath.exp's 2 ulp on e <= 0.19 (erf >= 0.81) adds 0.5 ulp
            // per exp ulp, so 1 ulp; ref 0.5 ulp
            case ERF -> 2.5 * ulp;
            // gelu = (0.5 x) A with A = 1 + erf(z): A's absolute error <= 5u (erf u, rounding of z = x / sqrt 2
            // propagated 2.1u, the final add/sub u, exp 0.4u); the product u relative; ref 0.5 ulp
            case GELU -> 2.5 * Math.abs(x) * U + 2 * ulp + 4 * sub;
            // x sigmoid(w) (sigmoid 9u, product u), w = 2k x (1 + c x^2) with 4u relative error, which moves
            // sigmoid by (1 - s)|w| 4u
            case GELU_TANH -> (11 + 4 * Math.abs(gelu2u(x))) * ulp + 4 * sub;
            // beta x u -> exp 4u + |bx| u -> log1p keeps relative error (E / ((1 + E) log1p E) <= 1), + its own
            // 3 ulp (6u), /beta u: 11u + |bx| u, ref 0.5 ulp
            case SOFTPLUS -> (12 + Math.abs(p * x)) * ulp + 4 * tiny / p;   // tiny exp, log1p, / beta
        };
    }

    static double backwardTolerance(UnaryFn f, float p, float vf, float gf, float ref) {
        double v = vf;
        double g = Math.abs(gf);
        double ulp = Math.ulp(ref);
        double sub = 0x1p-149 * (1 + Math.abs(v)) * (1 + g);
        return switch (f) {
            case RELU, LEAKY_RELU, CLAMP -> 0.0;                 // a select, or one rounded product
            case TANH -> 5 * ulp + 4 * sub;                      // (1 - y) u, (1 + y) u, two products 2u, ref
            case SIGMOID -> 4 * ulp + 4 * sub;                   // (1 - y) u, two products, ref
            case SILU -> {
                // d = s (1 + x (1 - s)) g; 1 + x(1 - s) cancels near x = -1.28, so its error is absolute:
                // |x (1 - s)| 10u (1 - s as sigmoid, 9u, product u); the rest relative: s 9u, sum, two products
                // -> 13 ulp (sigmoid's 9u from VecMath.exp's 2 ulp, see forwardTolerance)
                double s = RefUnary.sigmoid(v);
                yield g * s * Math.abs(v) * (1 - s) * 10 * U + 13 * ulp + 4 * sub;
            }
            case SOFTPLUS -> (11 + Math.abs(p * v)) * ulp + 4 * sub;   // sigmoid 9u, bx |bx| u, product u, ref
            case GELU -> {
                // 0.5 A with A's 5u absolute error; x phi with phi's relative error (x^2 / 2 + 4) u from the
                // rounding of -x^2/2 fed to exp and VecMath.exp's 2 ulp (4u); sum and product u each
                double xphi = Math.abs(v) * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                yield g * (2.5 * U + xphi * (0.5 * v * v + 7) * U) + 2 * ulp + 4 * sub;
            }
            case GELU_TANH -> {
                double w = gelu2u(v);
                double s = RefUnary.sigmoid(w);
                double t = Math.abs(2 * K * v * s * (1 - s) * (1 + 3 * C * v * v));
                // s and 1 - s each 9u (sigmoid with VecMath.exp, see forwardTolerance) instead of 6u
                yield g * ((9 + 4 * Math.abs(w)) * U * s + (24 + 8 * Math.abs(w)) * U * t) + 2 * ulp + 4 * sub;
            }
            default -> throw new AssertionError(f);
        };
    }

    private static double gelu2u(double x) {
        return 2 * K * (x + C * x * x * x);
    }

    /** p and q for f, drawn from seed. */
    static float param(UnaryFn f, long seed, boolean first) {
        float r = Philox.uniform(seed, 3, first ? 0 : 1);
        return switch (f) {
            case SOFTPLUS -> first ? 0.5f + 2.5f * r : 5f + 20f * r;          // beta, threshold
            case LEAKY_RELU -> first ? 0.3f * r : 0f;
            case POW -> first ? (r < 0.25f ? 2f : -3f + 6f * r) : 0f;        // sometimes an integer exponent
            case CLAMP -> first ? -2f * r : 2f * r - 0.5f;                    // lo in [-2, 0], hi in [-0.5, 1.5]
            case ADD_SCALAR, MUL_SCALAR -> first ? -4f + 8f * r : 0f;
            default -> 0f;
        };
    }

    /** n inputs suited to f, about one in sixteen a special value. */
    /**
     * The kept-erf GELU pair gives map(GELU)'s and backward(GELU)'s bits exactly, SIMD and scalar alike (lengths up
     * to 1200 cross the 512-float pass blocks), and k is 1 + erf(x / sqrt2) to within the forward's own error.
     */
    @Test
    void geluKeptGivesTheBitsOfGeluAndItsBackward() {
        qt().withFixedSeed(20261124L).withExamples(120)
                .forAll(integers().between(0, 1200), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = inputs(arena, UnaryFn.GELU, off + n, seed);
                        MemorySegment g = uniform(arena, n, seed ^ 0x5DEECE66DL, -2f, 2f);
                        MemorySegment[] y = new MemorySegment[4];
                        for (int j = 0; j < y.length; j++) {
                            y[j] = arena.allocate(4L * Math.max(n, 1));
                        }
                        MemorySegment k = arena.allocate(4L * Math.max(n, 1));
                        MemorySegment kr = arena.allocate(4L * Math.max(n, 1));
                        SimdUnary.map(UnaryFn.GELU, 0f, 0f, x, off, y[0], 0, n);
                        SimdUnary.geluKeep(x, off, y[1], 0, k, 0, n);
                        RefUnary.map(UnaryFn.GELU, 0f, 0f, x, off, y[2], 0, n);
                        RefUnary.geluKeep(x, off, y[3], 0, kr, 0, n);
                        sameBits("forward simd", y[0], y[1], n);
                        sameBits("forward ref", y[2], y[3], n);
                        for (int i = 0; i < n; i++) {
                            float ks = k.getAtIndex(F32, i);
                            float kref = kr.getAtIndex(F32, i);
                            // A = 1 + erf(z) within 5u absolute (forwardTolerance's GELU case); ref rounding
                            check("k(" + x.getAtIndex(F32, off + i) + ")", ks, kref, 5 * U + Math.ulp(kref));
                        }
                        SimdUnary.backward(UnaryFn.GELU, 0f, 0f, x, off, g, 0, y[0], 0, n);
                        SimdUnary.geluBackwardKept(x, off, k, 0, g, 0, y[1], 0, n);
                        RefUnary.backward(UnaryFn.GELU, 0f, 0f, x, off, g, 0, y[2], 0, n);
                        RefUnary.geluBackwardKept(x, off, kr, 0, g, 0, y[3], 0, n);
                        sameBits("backward simd", y[0], y[1], n);
                        sameBits("backward ref", y[2], y[3], n);
                    }
                });
    }

    /** Element-wise the same float bits, any NaN counting as one (Java leaves NaN payloads unspecified). */
    private static void sameBits(String what, MemorySegment a, MemorySegment b, int n) {
        for (int i = 0; i < n; i++) {
            float x = a.getAtIndex(F32, i);
            float y = b.getAtIndex(F32, i);
            if (Float.floatToIntBits(x) != Float.floatToIntBits(y)) {
                fail(what + ": element " + i + " of " + n + ": " + x + " vs " + y);
            }
        }
    }

    static MemorySegment inputs(Arena arena, UnaryFn f, int n, long seed) {
        float lo;
        float hi;
        switch (f) {
            case LOG, SQRT, RSQRT -> {
                lo = 0f;
                hi = 50f;
            }
            case POW -> {
                lo = 0f;
                hi = 8f;
            }
            case EXP -> {
                lo = -105f;
                hi = 92f;
            }
            case SIGMOID, SILU -> {
                lo = -110f;
                hi = 40f;
            }
            default -> {
                lo = -9f;
                hi = 9f;
            }
        }
        MemorySegment s = uniform(arena, n, seed, lo, hi);
        for (int i = 0; i < n; i++) {
            int b = Philox.bits(seed, 5, i);
            if ((b & 15) == 0) {
                s.setAtIndex(F32, i, SPECIAL[(b >>> 4 & 0xff) % SPECIAL.length]);
            }
        }
        return s;
    }

    static MemorySegment uniform(Arena arena, int n, long seed, float lo, float hi) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4L, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(F32, i, lo + (hi - lo) * Philox.uniform(seed, 11, i));
        }
        return s;
    }
}
