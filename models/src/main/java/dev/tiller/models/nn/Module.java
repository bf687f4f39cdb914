package dev.tiller.models.nn;

import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: parameters and child modules under hierarchical names ("blocks.0.attn.qkv.weight"), a
 * train/eval mode, and which parameters take weight decay (matrices, embedding tables included, do; biases and norms
 * don't). Parameters are leaf Variables that require gradients; their initial values come from {@link Init}
 * keyed by (seed, a stream per parameter), so a model is reproducible from its seed.
 */
public abstract class Module {
    private final Map<String, Variable> params = new LinkedHashMap<>();
    private final Map<String, Boolean> decays = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a parameter with its initial value; decays says whether weight decay applies to it. */
    protected final Variable param(String name, Tensor init, boolean decay) {
        if (params.containsKey(name) || children.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' used twice");
        }
        Variable v = Variable.param(name, init);
        params.put(name, v);
        decays.put(name, decay);
        return v;
    }

    /**
     * Registers a buffer: a tensor of the model's state that is not a parameter (batch norm's running statistics),
     * changed in place by the module, saved and restored with the model; returns it.
     */
    protected final Tensor buffer(String name, Tensor value) {
        if (params.containsKey(name) || children.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' used twice");
        }
        buffers.put(name, value);
        return value;
    }

    /** Registers a child module under name and returns it. */
    protected final <M extends Module> M child(String name, M m) {
        if (params.containsKey(name) || children.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' used twice");
        }
        children.put(name, m);
        return m;
    }

    /** All parameters, depth first, under their full dotted names. */
    public final Map<String, Variable> namedParameters() {
        Map<String, Variable> out = new LinkedHashMap<>();
        collect("", out, null);
        return Collections.unmodifiableMap(out);
    }

    /** All buffers (live tensors, changed in place by training), depth first, under their full dotted names. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectBuffers(String prefix, Map<String, Tensor> out) {
        buffers.forEach((k, t) -> out.put(prefix + k, t));
        children.forEach((k, m) -> m.collectBuffers(prefix + k + ".", out));
    }

    /**
     * This module (under "") and every module below it, depth first, under their full dotted names: how code that
     * needs every module of a kind (each {@link Dropout}'s RNG counter) finds them without knowing the model.
     */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        children.forEach((k, m) -> m.collectModules(name.isEmpty() ? k : name + "." + k, out));
    }

    /** Full names of the parameters that take weight decay. */
    public final List<String> decayed() {
        Map<String, Boolean> d = new LinkedHashMap<>();
        collect("", new LinkedHashMap<>(), d);
        List<String> out = new ArrayList<>();
        d.forEach((k, v) -> {
            if (v) {
                out.add(k);
            }
        });
        return out;
    }

    private void collect(String prefix, Map<String, Variable> out, Map<String, Boolean> decayOut) {
        params.forEach((k, v) -> {
            out.put(prefix + k, v);
            if (decayOut != null) {
                decayOut.put(prefix + k, decays.get(k));
            }
        });
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, decayOut));
    }

    /** Number of scalar parameters. */
    public final long parameterCount() {
        long n = 0;
        for (Variable v : namedParameters().values()) {
            n += v.value().numel();
        }
        return n;
    }

    /** Sets train (true) or eval (false) mode here and in every child (dropout, batch norm). */
    public final void train(boolean on) {
        training = on;
        children.values().forEach(m -> m.train(on));
    }

    public final boolean isTraining() {
        return training;
    }

    /** Zeroes every parameter's gradient. */
    public final void zeroGrad() {
        namedParameters().values().forEach(Variable::zeroGrad);
    }
}
