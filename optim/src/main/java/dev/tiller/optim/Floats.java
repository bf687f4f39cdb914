package dev.tiller.optim;

import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element i of a contiguous float32 tensor, for the optimizers' scalar element loops: the tensor's segment and
 * offset read once, so a loop body reads {@code m.get(i)} and writes {@code m.set(i, x)}. Tensors are trusted to be
 * contiguous float32 (parameters, gradients and opened state are).
 */
record Floats(MemorySegment segment, long offset) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    static Floats of(Tensor t) {
        return new Floats(t.segment(), t.offset());
    }

    /** The weights of p. */
    static Floats weights(ParamRef p) {
        return of(p.value());
    }

    /** The gradient of p. */
    static Floats grads(ParamRef p) {
        return of(p.grad());
    }

    float get(long i) {
        return segment.getAtIndex(F32, offset + i);
    }

    void set(long i, float x) {
        segment.setAtIndex(F32, offset + i, x);
    }
}
