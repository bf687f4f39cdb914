package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.CsrMatrix;

/**
 * One graph convolution, out = A_hat (x W) + b (Kipf and Welling 2017; PyTorch Geometric's GCNConv): x (N, in),
 * A_hat (N, N) -> (N, out). Init as GCNConv: W Glorot-uniform U(-sqrt(6/(in+out)), +), b zero.
 */
public final class GraphConv extends Module {
    private final Variable weight;   // (in, out)
    private final Variable bias;     // (out)

    public GraphConv(Init init, int in, int out) {
        this.weight = param("weight", init.uniform((float) Math.sqrt(6.0 / (in + out)), in, out), true);
        this.bias = param("bias", init.constant(0f, out), false);
    }

    public Variable forward(CsrMatrix adjacency, Variable x) {
        return F.add(F.spmm(adjacency, F.matmul(x, weight)), bias);
    }
}
