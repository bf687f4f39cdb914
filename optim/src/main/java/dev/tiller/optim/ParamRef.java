package dev.tiller.optim;

import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;

/**
 * A parameter an optimizer updates: its name (used for state names and checkpoints), its float32 value and its
 * float32 gradient of the same shape. Both are contiguous tensors the optimizer reads and writes in place. source is
 * the leaf Variable whose gradient grad is (made by {@link #of}), or null: with it, {@link #clearGrad()} zeroes
 * the gradient without writing it.
 */
public record ParamRef(String name, Tensor value, Tensor grad, Variable source) {
    /** A parameter with no Variable behind it. */
    public ParamRef(String name, Tensor value, Tensor grad) {
        this(name, value, grad, null);
    }

    public ParamRef {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("ParamRef: a parameter needs a name");
        }
        if (value.dtype() != DType.F32 || grad.dtype() != DType.F32) {
            throw new IllegalArgumentException("ParamRef " + name + ": value and grad must be f32, got "
                    + value.describe() + " and " + grad.describe());
        }
        if (!Shape.same(value.shape(), grad.shape())) {
            throw new ShapeMismatchException("ParamRef " + name, "grad shaped like the value", "value "
                    + Shape.str(value.shape()) + ", grad " + Shape.str(grad.shape()), null);
        }
        if (!value.isContiguous() || !grad.isContiguous()) {
            throw new IllegalArgumentException("ParamRef " + name + ": value and grad must be contiguous");
        }
    }

    /**
     * The parameter behind a leaf Variable; gives it a zeroed gradient buffer (so backward accumulates into
     * memory the optimizer reads) unless it already has one.
     */
    public static ParamRef of(String name, Variable v) {
        Tensor g = v.grad();
        if (g == null) {
            g = Tensor.allocate(Allocators.auto(), DType.F32, v.shape());
            v.useGradBuffer(g);
        }
        return new ParamRef(name, v.value(), g, v);
    }

    /**
     * Zeroes the gradient before a step's backward passes. With a source Variable whose gradient this is, through
     * {@link Variable#discardGrad()}: nothing is written, and the first gradient backward brings is copied in
     * instead of added to zeros (PyTorch's zero_grad(set_to_none=True)); otherwise by writing zeros. Either way,
     * call {@link #settleGrad()} after the backward passes and before anything reads grad.
     */
    public void clearGrad() {
        if (source != null && source.grad() == grad) {
            source.discardGrad();
        } else {
            grad.fill(0f);
        }
    }

    /** After the backward passes that followed {@link #clearGrad()}: zeroes grad if none of them reached it. */
    public void settleGrad() {
        if (source != null) {
            source.settleGrad();
        }
    }

    /** Number of elements. */
    public long numel() {
        return value.numel();
    }
}
