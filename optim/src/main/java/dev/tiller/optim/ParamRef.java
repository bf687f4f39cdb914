package dev.tiller.optim;

import dev.tiller.autograd.Variable;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;

/**
 * A parameter an optimizer updates: its name (used for state names and checkpoints), its float32 value and its
 * float32 gradient of the same shape. Both are contiguous tensors the optimizer reads and writes in place.
 */
public record ParamRef(String name, Tensor value, Tensor grad) {
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
            g = Tensor.allocate(dev.tiller.tensor.Allocators.auto(), DType.F32, v.shape());
            v.useGradBuffer(g);
        }
        return new ParamRef(name, v.value(), g);
    }

    /** Number of elements. */
    public long numel() {
        return value.numel();
    }
}
