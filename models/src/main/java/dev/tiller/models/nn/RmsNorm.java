package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/** RMS norm over the last dim, x * rsqrt(mean(x^2) + eps) * weight, weight 1, eps 1e-6; no weight decay. */
public final class RmsNorm extends Module {
    private final Variable weight;

    public RmsNorm(Init init, int dim) {
        this.weight = param("weight", init.constant(1f, dim), false);
    }

    public Variable forward(Variable x) {
        return F.rmsNorm(x, weight, 1e-6f);
    }
}
