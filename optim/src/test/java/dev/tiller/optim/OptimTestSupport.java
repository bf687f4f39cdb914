package dev.tiller.optim;

import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
            out[i++] = t.to(dev.tiller.tensor.DType.F32).toFloatArray();
        }
        return out;
    }
}
