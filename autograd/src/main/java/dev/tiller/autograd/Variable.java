package dev.tiller.autograd;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Binary;

/**
 * A tensor in the autograd graph: a value, the node that made it (none for leaves) and, for leaves that require
 * gradients, the accumulated gradient.
 *
 * <p>Conventions: gradients accumulate across backward calls until {@link #zeroGrad()} (or
 * {@link #discardGrad()}, which zeroes without writing the gradient's memory); backward
 * frees the graph's saved tensors unless asked to retain them, and a second backward through a freed graph fails
 * with a message saying so; broadcasting is undone by the engine, never by ops.
 */
public final class Variable {
    private final Tensor value;
    private final Node node;
    private final boolean requiresGrad;
    private Tensor grad;
    private boolean gradIsBuffer;
    /** The gradient's contents do not count (discardGrad): the next accumulate overwrites them. */
    private boolean gradStale;
    private String name;

    Variable(Tensor value, Node node, boolean requiresGrad) {
        this.value = value;
        this.node = node;
        this.requiresGrad = requiresGrad;
    }

    /** A leaf that requires a gradient (a parameter or an input being differentiated). */
    public static Variable param(Tensor value) {
        return new Variable(value, null, true);
    }

    /** A named leaf that requires a gradient. */
    public static Variable param(String name, Tensor value) {
        Variable v = param(value);
        v.name = name;
        return v;
    }

    /** A leaf without gradient (data, targets, masks). */
    public static Variable constant(Tensor value) {
        return new Variable(value, null, false);
    }

    /** The value. */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient of a leaf, or null before any backward reached it. */
    public Tensor grad() {
        settleGrad();
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True when no op made this variable. */
    public boolean isLeaf() {
        return node == null;
    }

    Node node() {
        return node;
    }

    /** The op that made this variable, or null for leaves. */
    public String opName() {
        return node == null ? null : node.op.name();
    }

    public String name() {
        return name;
    }

    public Variable named(String n) {
        this.name = n;
        return this;
    }

    public int[] shape() {
        return value.shape();
    }

    /** A new leaf sharing this value, cut from the graph: no gradient flows through it. */
    public Variable detach() {
        return new Variable(value, null, false);
    }

    /**
     * Makes gradients of this leaf accumulate into buffer (e.g. its slice of a flat gradient store)
     * instead of a tensor the engine allocates. The buffer's current contents count as the gradient so far.
     */
    public void useGradBuffer(Tensor buffer) {
        if (!Shape.same(buffer.shape(), value.shape())) {
            throw new ShapeMismatchException("useGradBuffer",
                    "a buffer shaped like the value " + Shape.str(value.shape()), Shape.str(buffer.shape()), null);
        }
        this.grad = buffer;
        this.gradIsBuffer = true;
        this.gradStale = false;
    }

    /** Sets the gradient to zero (or forgets it when the engine allocated it). */
    public void zeroGrad() {
        gradStale = false;
        if (gradIsBuffer) {
            grad.fill(0f);
        } else {
            grad = null;
        }
    }

    /**
     * Zeroes the gradient without writing its memory, as PyTorch's zero_grad(set_to_none=True) but keeping the
     * tensor (a gradient buffer stays where the optimizer reads it): its contents stop counting, and the next
     * gradient a backward brings is copied in instead of added. That saves a pass that writes zeros and the read of
     * them when adding. Until a gradient arrives the tensor holds the old values: whoever holds the tensor itself
     * (a ParamRef, an optimizer) must call {@link #settleGrad()} after the backward passes and before reading it;
     * {@link #grad()} settles by itself.
     */
    public void discardGrad() {
        if (grad != null) {
            gradStale = true;
        }
    }

    /**
     * Ends a {@link #discardGrad()}: if no backward has brought a gradient since, writes zeros into the gradient
     * (it is zero); otherwise does nothing.
     */
    public void settleGrad() {
        if (gradStale) {
            grad.fill(0f);
            gradStale = false;
        }
    }

    /**
     * True between {@link #discardGrad()} and the next gradient a backward brings (or {@link #settleGrad()}): the
     * gradient tensor's contents do not count, the gradient is zero. For readers of the tensor itself mid-step.
     */
    public boolean gradDiscarded() {
        return gradStale;
    }

    void accumulate(Tensor g) {
        if (gradStale) {
            grad.copyFrom(g);
            gradStale = false;
        } else if (grad == null) {
            // NOTE: leaf gradients outlive the step's TensorScope, so they come from the GC-managed allocator.
            grad = Tensor.allocate(Allocators.auto(), DType.F32, value.shape());
            grad.copyFrom(g);
        } else {
            Binary.addInto(grad, g, 1f);
        }
    }

    /** Backward from a one-element output: seeds dL/dL = 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalArgumentException("backward: " + value.describe() + " is not a scalar; pass the"
                    + " upstream gradient with backward(seed)");
        }
        Tensor seed = Tensor.ones(value.shape());
        Engine.backward(this, seed, false);
    }

    /** Backward with upstream gradient seed (shaped like the value); frees the graph. */
    public void backward(Tensor seed) {
        Engine.backward(this, seed, false);
    }

    /** Backward with upstream gradient seed; retainGraph keeps saved tensors for another backward. */
    public void backward(Tensor seed, boolean retainGraph) {
        Engine.backward(this, seed, retainGraph);
    }

    @Override
    public String toString() {
        return "Variable(" + (name == null ? "" : name + ", ") + value.describe()
                + (node == null ? "" : ", op=" + node.op.name()) + (requiresGrad ? ", grad" : "") + ")";
    }
}
