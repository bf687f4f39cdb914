package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD):
 * <pre>
 *   g = grad (negated when maximize) + weightDecay * p
 *   b = g at the first step, else momentum * b + (1 - dampening) * g      (when momentum != 0)
 *   g = g + momentum * b (nesterov) or b
 *   p = p - lr * g
 * </pre>
 * The momentum buffer "momentum_buffer/NAME" is allocated eagerly; PyTorch's "buffer is None" first step is the
 * step counter being 1 for that parameter.
 */
public final class Sgd extends AbstractOptimizer<SgdHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public Sgd(List<ParamGroup<SgdHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc, long seed) {
        super("SGD", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("momentum_buffer", p);
        }
    }

    /** One group, float32 state. */
    public Sgd(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, SgdHyper h, long t) {
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long n = p.numel();
        float sign = h.maximize() ? -1f : 1f;
        if (h.momentum() == 0f) {
            for (long i = 0; i < n; i++) {
                float wi = w.getAtIndex(F32, wo + i);
                float g = sign * gs.getAtIndex(F32, go + i) + h.weightDecay() * wi;
                w.setAtIndex(F32, wo + i, wi - h.lr() * g);
            }
            return;
        }
        StateSlot slot = slotOf("momentum_buffer", p);
        Tensor bt = slot.open();
        MemorySegment b = bt.segment();
        long bo = bt.offset();
        for (long i = 0; i < n; i++) {
            float wi = w.getAtIndex(F32, wo + i);
            float g = sign * gs.getAtIndex(F32, go + i) + h.weightDecay() * wi;
            float buf = t == 1 ? g : h.momentum() * b.getAtIndex(F32, bo + i) + (1f - h.dampening()) * g;
            b.setAtIndex(F32, bo + i, buf);
            float d = h.nesterov() ? g + h.momentum() * buf : buf;
            w.setAtIndex(F32, wo + i, wi - h.lr() * d);
        }
        slot.commit(t);
    }
}
