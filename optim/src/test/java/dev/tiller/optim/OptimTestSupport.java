package dev.tiller.optim;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seeded parameters, gradients and snapshots for the optimizer tests. */
final class OptimTestSupport {
    private OptimTestSupport() {}

    /** Parameters "p0", "p1", ... with the given shapes, values uniform in [-1, 1) keyed by seed. */
    static List<ParamRef> params(long seed, int[]... shapes) {
        List<ParamRef> out = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            out.add(new ParamRef("p" + i, Tensor.uniform(seed, i, -1f, 1f, shapes[i]), Tensor.zeros(shapes[i])));
        }
        return out;
    }

    /** Fresh parameters with the same names, shapes and values as ps (independent memory). */
    static List<ParamRef> copyOf(List<ParamRef> ps) {
        List<ParamRef> out = new ArrayList<>();
        for (ParamRef p : ps) {
            out.add(new ParamRef(p.name(), p.value().copy(), p.grad().copy()));
        }
        return out;
    }

    /** Gradient of step `step`: uniform in [-1, 1), a pure function of (seed, step, parameter index). */
    static void randomGrads(List<ParamRef> ps, long seed, int step) {
        for (int i = 0; i < ps.size(); i++) {
            ParamRef p = ps.get(i);
            p.grad().copyFrom(Tensor.uniform(seed, 1000L * step + i, -1f, 1f, p.value().shape()));
        }
    }

    static float[][] values(List<ParamRef> ps) {
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) {
            out[i] = ps.get(i).value().toFloatArray();
        }
        return out;
    }

    /** A deep copy of a state map (state() returns live views). */
    static Map<String, Tensor> snapshot(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    /** True when every float has the same bits. */
    static boolean bitwiseEqual(float[][] a, float[][] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                return false;
            }
            for (int j = 0; j < a[i].length; j++) {
                if (Float.floatToRawIntBits(a[i][j]) != Float.floatToRawIntBits(b[i][j])) {
                    return false;
                }
            }
        }
        return true;
    }

    static float[][] stateValues(Map<String, Tensor> state) {
        float[][] out = new float[state.size()][];
        int i = 0;
        for (Tensor t : state.values()) {
            out[i++] = t.to(DType.F32).toFloatArray();
        }
        return out;
    }

    /**
     * Steps one float32 run and one with bfloat16 state (every state kind except keepF32) six times with the same
     * gradients, and asserts every weight of the bf16 run within a bound derived from bfloat16's 8-bit significand;
     * returns the worst ratio of difference to bound. One stochastic rounding moves a value by less than one
     * bfloat16 ulp, at most 2^-7 of its magnitude. The gradients keep one sign per weight (|g| in [0.5, 1.5]) and h
     * has no weight decay, so no moment cancels and the gradients do not depend on the weights: a state value
     * rounded t times is within t 2^-7 of the float32 run's (relative, first order), and step t's update, a ratio
     * of a first moment to the square root of a second (a sum of same-sign terms for momentum buffers), is within
     * (1 + 1/2) t 2^-7 of the float32 update. Bounded by 2 t 2^-7 = t 2^-6 to cover second-order terms
     * (t 2^-7 &lt;= 6/128 over six steps) and Adadelta, whose acc_delta is fed by updates computed from both states
     * (its step-t error is (t - 1)(t + 2)/4 2^-7 &lt;= 10 2^-7 at t = 6). The weights differ by the sum of the update
     * differences plus one float32 rounding of the weight per step.
     */
    static <H extends Record> double assertBf16TracksF32(String what,
            BiFunction<List<ParamRef>, Map<String, StatePrecision>, ? extends Optimizer<H>> make, H h,
            Set<String> keepF32) {
        int n = 64;
        int steps = 6;
        long seed = 20261122L;
        float[] sign = Tensor.uniform(seed, 5, -1f, 1f, n).toFloatArray();
        List<ParamRef> f32 = List.of(new ParamRef("w", Tensor.uniform(seed, 6, -1f, 1f, n), Tensor.zeros(n)));
        List<ParamRef> bf16 = copyOf(f32);
        Optimizer<H> of = make.apply(f32, Map.of());
        Map<String, StatePrecision> precisions = new HashMap<>();
        for (String k : of.state().keySet()) {
            String kind = k.substring(0, k.indexOf('/'));
            if (!keepF32.contains(kind) && k.endsWith("/w")) {
                precisions.put(kind, StatePrecision.BF16);
            }
        }
        Optimizer<H> ob = make.apply(bf16, precisions);
        assertTrue(ob.stateBytes() < of.stateBytes(), what + ": bf16 state is not smaller");
        double[] tol = new double[n];
        float[] before = f32.get(0).value().toFloatArray();
        double worst = 0;
        for (int t = 1; t <= steps; t++) {
            float[] g = Tensor.uniform(seed, 100 + t, 0.5f, 1.5f, n).toFloatArray();
            for (int i = 0; i < n; i++) {
                g[i] = Math.copySign(g[i], sign[i]);
            }
            f32.get(0).grad().copyFrom(Tensor.of(g, n));
            bf16.get(0).grad().copyFrom(Tensor.of(g, n));
            of.step(h);
            ob.step(h);
            float[] a = f32.get(0).value().toFloatArray();
            float[] b = bf16.get(0).value().toFloatArray();
            for (int i = 0; i < n; i++) {
                tol[i] += t * 0x1p-6 * Math.abs(a[i] - before[i]) + Math.ulp(Math.max(Math.abs(a[i]), Math.abs(b[i])));
                double d = Math.abs((double) b[i] - a[i]);
                worst = Math.max(worst, d / tol[i]);
                int at = i;
                int step = t;
                assertTrue(d <= tol[i], () -> what + " step " + step + ": w[" + at + "] bf16 " + b[at] + " vs f32 "
                        + a[at] + ", bound " + tol[at]);
            }
            before = a;
        }
        return worst;
    }
}
