package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/** Layer norm over the last dim with affine weight (ones) and bias (zeros), eps 1e-5; no weight decay. */
public final class LayerNorm extends Module {
    private final Variable weight;
    private final Variable bias;
    private final float eps;

    public LayerNorm(Init init, int dim) {
        this.weight = param("weight", init.constant(1f, dim), false);
        this.bias = param("bias", init.constant(0f, dim), false);
        this.eps = 1e-5f;
    }

    public Variable forward(Variable x) {
        return F.layerNorm(x, weight, bias, eps);
    }
}
