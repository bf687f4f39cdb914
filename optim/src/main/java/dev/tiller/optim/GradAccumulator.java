package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Gradient accumulation over k micro-batches: after each micro-batch's backward, {@link #add()} adds every
 * parameter's gradient into a float32 sum buffer; {@link #finish()} writes sum * (1 / k) into the gradients (the
 * mean over micro-batches, which for equal micro-batches is the large batch's mean gradient), then clears the sums.
 * The optimizer then steps once. Buffers are allocated eagerly, one per parameter; not thread-safe.
 */
public final class GradAccumulator {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final List<ParamRef> params;
    private final Tensor[] sums;
    private int count;

    /** Sum buffers for params, from alloc (null: the default allocator). */
    public GradAccumulator(List<ParamRef> params, Allocator alloc) {
        this.params = List.copyOf(params);
        this.sums = new Tensor[this.params.size()];
        Allocator a = alloc == null ? Allocators.auto() : alloc;
        for (int i = 0; i < sums.length; i++) {
            sums[i] = Tensor.allocate(a, DType.F32, this.params.get(i).value().shape());
            sums[i].segment().fill((byte) 0);
        }
    }

    public GradAccumulator(List<ParamRef> params) {
        this(params, null);
    }

    /** Adds the current gradients into the sums (call once per micro-batch). */
    public void add() {
        for (int k = 0; k < sums.length; k++) {
            Tensor g = params.get(k).grad();
            MemorySegment gs = g.segment();
            MemorySegment ss = sums[k].segment();
            long go = g.offset();
            long so = sums[k].offset();
            long n = g.numel();
            for (long i = 0; i < n; i++) {
                ss.setAtIndex(F32, so + i, ss.getAtIndex(F32, so + i) + gs.getAtIndex(F32, go + i));
            }
        }
        count++;
    }

    /** Micro-batches added since the last finish. */
    public int count() {
        return count;
    }

    /**
     * Sets every gradient to the mean of the added micro-batch gradients (sum * (1 / k)), clears the sums and the
     * count. Needs at least one add().
     */
    public void finish() {
        if (count == 0) {
            throw new IllegalStateException("GradAccumulator: finish() before any add(); call add() after each "
                    + "micro-batch's backward");
        }
        float scale = 1f / count;
        for (int k = 0; k < sums.length; k++) {
            Tensor g = params.get(k).grad();
            MemorySegment gs = g.segment();
            MemorySegment ss = sums[k].segment();
            long go = g.offset();
            long so = sums[k].offset();
            long n = g.numel();
            for (long i = 0; i < n; i++) {
                gs.setAtIndex(F32, go + i, ss.getAtIndex(F32, so + i) * scale);
                ss.setAtIndex(F32, so + i, 0f);
            }
        }
        count = 0;
    }
}
