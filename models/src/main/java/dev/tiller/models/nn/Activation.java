package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/** The usual activations by name, for configurable architectures. */
public enum Activation {
    RELU, GELU, GELU_TANH, SILU, TANH, SIGMOID;

    public Variable apply(Variable x) {
        return switch (this) {
            case RELU -> F.relu(x);
            case GELU -> F.gelu(x, false);
            case GELU_TANH -> F.gelu(x, true);
            case SILU -> F.silu(x);
            case TANH -> F.tanh(x);
            case SIGMOID -> F.sigmoid(x);
        };
    }
}
