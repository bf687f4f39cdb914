package dev.tiller.autograd;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.util.function.Function;

/**
 * Finite-difference gradient checker. The loss is {@code L = sum(f(x) * r)} with a fixed random r,
 * so backward sees a generic upstream gradient. Numeric gradients are central differences of L, computed in
 * double from float32 forwards, with an optional 4-point stencil for curvy ops. Tensors of at most 64 elements
 * are checked element by element; larger ones along 3 random directions u, comparing grad . u with the
 * directional difference (as JAX's check_grads). Inputs should be sampled away from kinks (relu at 0, max ties).
 */
public final class GradCheck {
    private GradCheck() {}

    /** Worst error over all checked inputs: |analytic - numeric| / max(1e-3, ||numeric||_inf). */
    public record Report(double maxError, String worst) {}

    /**
     * Checks f at inputs. differentiable[i] says which inputs to check (the others are passed as constants).
     * eps is the absolute step; precise selects the 4-point stencil; seed fixes r and the directions.
     */
    public static Report check(Function<Variable[], Variable> f, Tensor[] inputs, boolean[] differentiable,
                               double eps, boolean precise, long seed) {
        Variable[] vars = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            vars[i] = differentiable[i] ? Variable.param(inputs[i].copy()) : Variable.constant(inputs[i]);
        }
        Variable out = f.apply(vars);
        Tensor r = Tensor.normal(seed, 99, 0f, 1f, out.shape());
        out.backward(r);
        double worst = 0;
        String where = "nothing checked";
        for (int i = 0; i < inputs.length; i++) {
            if (!differentiable[i]) {
                continue;
            }
            Tensor g = vars[i].grad();
            float[] analytic = g == null ? new float[(int) inputs[i].numel()] : g.toFloatArray();
            float[] x = inputs[i].toFloatArray();
            int n = x.length;
            double[] numeric;
            double[] projected;
            int checks = n <= 64 ? n : 3;
            numeric = new double[checks];
            projected = new double[checks];
            for (int c = 0; c < checks; c++) {
                float[] dir = new float[n];
                if (n <= 64) {
                    dir[c] = 1f;
                } else {
                    for (int k = 0; k < n; k++) {
                        dir[k] = Philox.normal(seed, 100 + c, k);
                    }
                }
                double a = 0;
                for (int k = 0; k < n; k++) {
                    a += (double) analytic[k] * dir[k];
                }
                projected[c] = a;
                numeric[c] = directional(f, inputs, i, x, dir, r, eps, precise);
            }
            double scale = 1e-3;
            for (double v : numeric) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int c = 0; c < checks; c++) {
                double err = Math.abs(projected[c] - numeric[c]) / scale;
                if (err > worst || where.equals("nothing checked")) {
                    worst = Math.max(worst, err);
                    where = "input " + i + (n <= 64 ? " element " + c : " direction " + c) + ": analytic "
                            + projected[c] + ", numeric " + numeric[c];
                }
            }
        }
        return new Report(worst, where);
    }

    private static double directional(Function<Variable[], Variable> f, Tensor[] inputs, int which, float[] x,
                                      float[] dir, Tensor r, double eps, boolean precise) {
        if (precise) {
            double p2 = loss(f, inputs, which, x, dir, 2 * eps, r);
            double p1 = loss(f, inputs, which, x, dir, eps, r);
            double m1 = loss(f, inputs, which, x, dir, -eps, r);
            double m2 = loss(f, inputs, which, x, dir, -2 * eps, r);
            return (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * eps);
        }
        return (loss(f, inputs, which, x, dir, eps, r) - loss(f, inputs, which, x, dir, -eps, r)) / (2 * eps);
    }

    private static double loss(Function<Variable[], Variable> f, Tensor[] inputs, int which, float[] x, float[] dir,
                               double step, Tensor r) {
        float[] moved = new float[x.length];
        for (int k = 0; k < x.length; k++) {
            moved[k] = (float) (x[k] + step * dir[k]);
        }
        Variable[] vars = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            vars[i] = Variable.constant(i == which ? Tensor.of(moved, inputs[i].shape()) : inputs[i]);
        }
        float[] out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = f.apply(vars).value().toFloatArray();
        }
        float[] rv = r.toFloatArray();
        double sum = 0;
        for (int k = 0; k < out.length; k++) {
            sum += (double) out[k] * rv[k];
        }
        return sum;
    }
}
