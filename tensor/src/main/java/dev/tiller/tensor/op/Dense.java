package dev.tiller.tensor.op;

import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * An operand as a kernel reads it: the tensor made contiguous (a copy only when its layout needs one), its segment,
 * and the element offset of its first element. Closing frees what this operand made (the copy, or a tensor passed to
 * {@link #owned}), never the caller's tensor nor a view of it, so ops hold their operands in try-with-resources.
 */
final class Dense implements AutoCloseable {
    /** The storage segment of the dense tensor. */
    final MemorySegment seg;
    /** Element offset of element (0, ..., 0) in {@link #seg}; element i of the row-major order is at off + i. */
    final long off;
    private final Tensor tensor;
    private final Tensor original;

    private Dense(Tensor tensor, Tensor original) {
        this.tensor = tensor;
        this.original = original;
        this.seg = tensor.segment();
        this.off = tensor.offset();
    }

    /** t, or a contiguous copy of it when its layout is not row-major without gaps. */
    static Dense of(Tensor t) {
        return new Dense(t.contiguous(), t);
    }

    /** A tensor made by the op itself (e.g. ones for an absent weight): dense already, and closed with the operand. */
    static Dense owned(Tensor t) {
        return new Dense(t, null);
    }

    /** The dense tensor (the original when it was contiguous). */
    Tensor tensor() {
        return tensor;
    }

    @Override
    public void close() {
        closeCopy(tensor, original);
    }

    /** Closes c when it is a copy made here: not original (the caller's tensor), nor a view of it. */
    static void closeCopy(Tensor c, Tensor original) {
        if (c != original && (original == null || !c.sharesStorage(original))) {
            c.close();
        }
    }
}
