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
            // Math-accuracy lanes narrowed to float: each side within 0.5 ulp + tiny of exact, so at most 1 ulp apart
            case EXP, LOG, TANH, POW -> ulp;
            // sqrt (u) then divide (u): 2u relative, ref 0.5 ulp
            case RSQRT -> 3 * ulp;
            // e = exp(-|x|) 2u; 1 + e u (e's error enters scaled by e / (1 + e) <= 1/2: u); 1 / (.) u; e s 3u
            // more for x < 0: at most 6u, ref 0.5 ulp -> 7 ulp; subnormal results round absolutely
            case SIGMOID -> 7 * ulp + 2 * tiny;        // e s with e subnormal: two absolute roundings
            case SILU -> 8 * ulp + 4 * sub;            // sigmoid 6u, one more product
            // Juffa erf <= 1 ulp with an exact exp; the vector exp's 1 ulp on e <= 0.19 adds 0.5 ulp; ref 0.5 ulp
            case ERF -> 2 * ulp;
            // gelu = (0.5 x) A with A = 1 + erf(z): A's absolute error <= 5u (erf u, rounding of z = x / sqrt 2
            // propagated 2.1u, the final add/sub u, exp 0.4u); the product u relative; ref 0.5 ulp
            case GELU -> 2.5 * Math.abs(x) * U + 2 * ulp + 4 * sub;
            // x sigmoid(w), w = 2k x (1 + c x^2) with 4u relative error, which moves sigmoid by (1 - s)|w| 4u
            case GELU_TANH -> (8 + 4 * Math.abs(gelu2u(x))) * ulp + 4 * sub;
            // beta x u -> exp 2u + |bx| u -> log1p keeps relative error (E / ((1 + E) log1p E) <= 1), +2u, /beta u
            case SOFTPLUS -> (6 + Math.abs(p * x)) * ulp + 4 * tiny / p;   // tiny exp, log1p, / beta
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
                // |x (1 - s)| 8u; the rest relative: s 6u, sum, two products -> 10 ulp
                double s = RefUnary.sigmoid(v);
                yield g * s * Math.abs(v) * (1 - s) * 8 * U + 10 * ulp + 4 * sub;
            }
            case SOFTPLUS -> (8 + Math.abs(p * v)) * ulp + 4 * sub;
            case GELU -> {
                // 0.5 A with A's 5u absolute error; x phi with phi's relative error (x^2 / 2 + 4) u from the
                // rounding of -x^2/2 fed to exp; sum and product u each
                double xphi = Math.abs(v) * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                yield g * (2.5 * U + xphi * (0.5 * v * v + 5) * U) + 2 * ulp + 4 * sub;
            }
            case GELU_TANH -> {
                double w = gelu2u(v);
                double s = RefUnary.sigmoid(w);
                double t = Math.abs(2 * K * v * s * (1 - s) * (1 + 3 * C * v * v));
                yield g * ((6 + 4 * Math.abs(w)) * U * s + (18 + 8 * Math.abs(w)) * U * t) + 2 * ulp + 4 * sub;
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
