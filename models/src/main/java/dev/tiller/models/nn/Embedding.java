package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Tensor;

/**
 * Rows of a (V, C) table selected by integer indices; nn.Embedding's init N(0, 1). The table is a matrix, so it takes
 * weight decay, as in the "decay on matrices only" recipes (nanoGPT's rule: every parameter of rank 2 or more).
 */
public final class Embedding extends Module {
    private final Variable weight;   // (V, C)

    public Embedding(Init init, int vocab, int dim) {
        this.weight = param("weight", init.normal(1f, vocab, dim), true);
    }

    /** indices: i32/i64 of any shape -> (..., C). */
    public Variable forward(Tensor indices) {
        return F.embedding(weight, indices);
    }
}
