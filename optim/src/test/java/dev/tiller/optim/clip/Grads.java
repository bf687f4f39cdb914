package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Test helpers: parameters with given gradients. */
final class Grads {
    private Grads() {}

    /** A parameter named name with value zeros and gradient g (shape: g's length, or the given shape). */
    static ParamRef param(String name, float[] g, int... shape) {
        int[] s = shape.length == 0 ? new int[] {g.length} : shape;
        return new ParamRef(name, Tensor.zeros(s), Tensor.of(g.clone(), s));
    }

    static ParamRef param(String name, float[] value, float[] g, int... shape) {
        int[] s = shape.length == 0 ? new int[] {g.length} : shape;
        return new ParamRef(name, Tensor.of(value.clone(), s), Tensor.of(g.clone(), s));
    }

    /** Parameters p0, p1, ... whose gradients are the given arrays (vectors). */
    static List<ParamRef> of(float[]... grads) {
        List<ParamRef> out = new ArrayList<>();
        for (int i = 0; i < grads.length; i++) {
            out.add(param("p" + i, grads[i]));
        }
        return out;
    }

    static float[][] snapshot(List<ParamRef> params) {
        float[][] out = new float[params.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = params.get(i).grad().toFloatArray();
        }
        return out;
    }

    /** Bitwise equality of float arrays (NaN payloads and signed zeros included). */
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
}
