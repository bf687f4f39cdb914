package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * What an op's forward keeps for its backward: tensors (inputs, outputs or statistics such as mean and rstd) and
 * small values. Released after backward unless the graph is retained; reading a released Saved fails with a
 * message that says how to keep the graph.
 */
public final class Saved {
    private final List<Object> items = new ArrayList<>(4);
    private boolean released;
    private String opName = "?";

    void opName(String name) {
        this.opName = name;
    }

    /** Keeps values in order; read them back with get(i). */
    public void keep(Object... values) {
        for (Object v : values) {
            items.add(v);
        }
    }

    /** The i-th kept tensor. */
    public Tensor tensor(int i) {
        return (Tensor) get(i);
    }

    /** The i-th kept value. */
    public Object get(int i) {
        requireLive();
        return items.get(i);
    }

    /** Fails, saying how to retain a graph, when an earlier backward has freed these values. */
    void requireLive() {
        if (released) {
            throw new IllegalStateException(opName + ": its saved values were freed by an earlier backward; call"
                    + " backward(seed, true) (retainGraph) on the first pass to run backward through a graph twice");
        }
    }

    void release() {
        released = true;
        items.clear();
    }
}
