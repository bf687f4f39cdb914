package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/** y = x W^T + b, x (..., in) -> (..., out); nn.Linear's init: W, b ~ U(-1/sqrt(in), 1/sqrt(in)). */
public final class Linear extends Module {
    private final Variable weight;   // (out, in)
    private final Variable bias;     // (out) or null

    public Linear(Init init, int in, int out, boolean bias) {
        float bound = (float) (1.0 / Math.sqrt(in));
        this.weight = param("weight", init.uniform(bound, out, in), true);
        this.bias = bias ? param("bias", init.uniform(bound, out), false) : null;
    }

    public Variable forward(Variable x) {
        return F.linear(x, weight, bias);
    }

    public Variable weight() {
        return weight;
    }
}
