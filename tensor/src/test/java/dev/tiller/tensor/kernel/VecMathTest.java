package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VecMath against StrictMath evaluated in double (within 1 ulp of exact in double, so exact to far below a float
 * ulp): random floats over each function's interesting range plus special values, on the preferred species and on
 * the 128-bit one (SimdReduce uses a half-width species). The asserted bounds are the ones stated in VecMath's
 * Javadoc; the measured worst cases are printed.
 */
class VecMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int SAMPLES = 100_000;

    /** Error of got against the exact value ref, in ulps of the float nearest ref (0 for the same NaN, inf or zero). */
    private static double ulpErr(float got, double ref) {
        if (Double.isNaN(ref)) {
            return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        }
        float r = (float) ref;
        if (Float.isInfinite(r) || r == 0f) {
            // exact overflow / underflow / zero: require the same value (and sign of zero)
            return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(r) ? 0
                    : Math.abs(got - ref) / Math.ulp(Float.MIN_VALUE);
        }
        return Math.abs(got - ref) / Math.ulp(r);
    }

    private static double worst(VectorSpecies<Float> sp, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref,
                                float[] xs, String name) {
        int l = sp.length();
        float[] in = new float[l];
        double worst = 0;
        float worstX = 0;
        for (int i = 0; i + l <= xs.length; i += l) {
            System.arraycopy(xs, i, in, 0, l);
            float[] out = f.apply(FloatVector.fromArray(sp, in, 0)).toArray();
            for (int k = 0; k < l; k++) {
                double e = ulpErr(out[k], ref.applyAsDouble(in[k]));
                if (e > worst) {
                    worst = e;
                    worstX = in[k];
                }
            }
        }
        System.out.println("VecMath." + name + " (" + sp + "): worst " + worst + " ulp at x = " + worstX);
        return worst;
    }

    /** Uniform in [lo, hi] plus log-uniform magnitudes in [2^eLo, 2^eHi] of both signs, plus specials. */
    private static float[] inputs(long seed, float lo, float hi, int eLo, int eHi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f, 2f, 88.7f, 89f,
            -103f, -87.3f, -110f, 20f, -20f, 9.1f, -9.1f, 1e-30f, -1e-30f, 1e-8f, -1e-8f};
        float[] xs = new float[2 * SAMPLES + 64];
        int n = 0;
        for (float s : specials) {
            xs[n++] = s;
        }
        for (int i = 0; i < SAMPLES; i++) {
            xs[n++] = (float) (lo + (hi - lo) * r.nextDouble());
            double m = Math.pow(2, eLo + (eHi - eLo) * r.nextDouble());
            xs[n++] = (float) (r.nextBoolean() ? m : -m);
        }
        while (n < xs.length) {
            xs[n++] = 1f;
        }
        return xs;
    }

    private static void check(UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, float[] xs, String name,
                              double bound) {
        for (VectorSpecies<Float> sp : new VectorSpecies[] {S, FloatVector.SPECIES_128}) {
            double w = worst(sp, f, ref, xs, name);
            assertTrue(w <= bound, name + ": worst " + w + " ulp > " + bound);
        }
    }

    @Test
    void exp() {
        check(VecMath::exp, StrictMath::exp, inputs(1, -104f, 89f, -30, 7), "exp", 2);
    }

    @Test
    void expm1() {
        check(VecMath::expm1, StrictMath::expm1, inputs(2, -25f, 89f, -40, 7), "expm1", 2);
    }

    @Test
    void log() {
        check(VecMath::log, StrictMath::log, inputs(3, 0f, 4f, -149, 128), "log", 2);
    }

    @Test
    void log1p() {
        check(VecMath::log1p, StrictMath::log1p, inputs(4, -1f, 4f, -60, 128), "log1p", 3);
    }

    @Test
    void tanh() {
        check(VecMath::tanh, StrictMath::tanh, inputs(5, -10f, 10f, -60, 5), "tanh", 3);
    }

    @Test
    void sumLanesAddsInLaneOrder() {
        // lanes 2^24, 1, 1, ...: in lane order each 1 is lost to round-half-even (2^24 + 1 -> 2^24), so the sum is
        // exactly 2^24 whatever the lane count; a tree order would add the 1s together first and keep them
        float[] v = new float[S.length()];
        Arrays.fill(v, 1f);
        v[0] = 0x1p24f;
        assertEquals(0x1p24f, VecMath.sumLanes(FloatVector.fromArray(S, v, 0)));
    }
}
