package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;

/**
 * A differentiable primitive: forward and backward live together. Anything backward needs goes
 * through {@link Saved}. Attributes (dims, strides, eps) are fields of the op instance, made per call.
 * The set is closed: every op is a class in this package, and the engine is the only caller.
 */
public interface Op {
    /** The op's name as users and the golden files know it: "matmul", "conv2d", ... */
    String name();

    /** Computes the output from the input values; keeps in saved what backward needs. */
    Tensor forward(Saved saved, Tensor... in);

    /**
     * One gradient per input, shaped like that input or like a broadcast of it (the engine reduces broadcasts,
     * ops never do); null where the input needs no gradient or has none (integer indices).
     * needsGrad[i] says whether input i wants one, so an op can skip work.
     */
    Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad);
}
