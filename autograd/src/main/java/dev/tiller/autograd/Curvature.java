package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;

import java.util.function.Function;

/**
 * Hessian-vector products for curvature signals, by central differences of gradients:
 * {@code H v ~ (grad f(x + e v) - grad f(x - e v)) / (2 e)} with {@code e = eps / ||v||_2}. The error is
 * O(e^2 * |third derivative|) plus float32 rounding of the gradients divided by 2e; eps around 1e-2 of the
 * scale of x balances the two for float32. Two gradient evaluations per product; no double backward needed.
 */
public final class Curvature {
    private Curvature() {}

    /** H(x) v for the scalar function loss (one-element output). */
    public static float[] hvp(Function<Variable, Variable> loss, Tensor x, Tensor v, double eps) {
        float[] xv = x.toFloatArray();
        float[] vv = v.toFloatArray();
        if (xv.length != vv.length) {
            throw new IllegalArgumentException("hvp: v has " + vv.length + " elements, x has " + xv.length);
        }
        double norm = 0;
        for (float f : vv) {
            norm += (double) f * f;
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
            return new float[xv.length];
        }
        double e = eps / norm;
        float[] gp = gradAt(loss, x, xv, vv, e);
        float[] gm = gradAt(loss, x, xv, vv, -e);
        float[] out = new float[xv.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (((double) gp[i] - gm[i]) / (2 * e));
        }
        return out;
    }

    private static float[] gradAt(Function<Variable, Variable> loss, Tensor x, float[] xv, float[] vv, double step) {
        float[] moved = new float[xv.length];
        for (int i = 0; i < moved.length; i++) {
            moved[i] = (float) (xv[i] + step * vv[i]);
        }
        Variable p = Variable.param(Tensor.of(moved, x.shape()));
        try (GradMode.Scope s = GradMode.enableGrad()) {
            loss.apply(p).backward();
        }
        return p.grad() == null ? new float[xv.length] : p.grad().toFloatArray();
    }
}
