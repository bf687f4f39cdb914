package dev.tiller.models.arch;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Linear;
import dev.tiller.models.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * Multi-layer perceptron: in -> hidden... -> out with an activation between layers. x (N, ...) is flattened to (N, in).
 * The mlp workload's model (docs/workloads.md) is {@code new Mlp(init, 784, new int[] {1024, 1024}, 10,
 * Activation.RELU)}; a width multiplier scales the hidden sizes, a depth multiplier repeats the last hidden layer.
 */
public final class Mlp extends Module {
    private final List<Linear> layers = new ArrayList<>();
    private final Activation act;
    private final int in;

    public Mlp(Init init, int in, int[] hidden, int out, Activation act) {
        this.in = in;
        this.act = act;
        int prev = in;
        for (int i = 0; i < hidden.length; i++) {
            layers.add(child("layers." + i, new Linear(init, prev, hidden[i], true)));
            prev = hidden[i];
        }
        layers.add(child("layers." + hidden.length, new Linear(init, prev, out, true)));
    }

    /** Hidden sizes of base scaled by width and with the last one repeated to depth * base.length layers. */
    public static int[] scaled(int[] base, double width, double depth) {
        int n = Math.max(1, (int) Math.round(base.length * depth));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.max(1, (int) Math.round(base[Math.min(i, base.length - 1)] * width));
        }
        return out;
    }

    public Variable forward(Variable x) {
        Variable h = x.value().rank() == 2 ? x : F.reshape(x, x.shape()[0], -1);
        if (h.shape()[1] != in) {
            throw new IllegalArgumentException("Mlp: expected " + in + " input features, got " + h.shape()[1]);
        }
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            if (i < layers.size() - 1) {
                h = act.apply(h);
            }
        }
        return h;
    }
}
