package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * LARS (You, Gitman, Ginsburg 2017, "Large Batch Training of Convolutional Networks", arXiv 1708.03888) with
 * Optax's semantics (optax.lars = add_decayed_weights, masked scale_by_trust_ratio, scale_by_learning_rate, trace),
 * per tensor:
 * <pre>
 *   r = g + weightDecay * p
 *   phi = trustCoefficient * ||p|| / (||r|| + eps)   (1 when either norm is 0; 1 when trustRatio is off)
 *   u = -lr * phi * r
 *   b = u + momentum * b
 *   p = p + (nesterov ? u + momentum * b : b)
 * </pre>
 * NOTE: as in Optax the momentum trace "trace/NAME" accumulates lr-scaled steps, so a learning-rate change only
 * affects new contributions (unlike PyTorch-style SGD momentum applied before the learning rate).
 */
public final class Lars extends AbstractOptimizer<LarsHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public Lars(List<ParamGroup<LarsHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("LARS", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("trace", p);
        }
    }

    /** One group, float32 state. */
    public Lars(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, LarsHyper h, long t) {
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long n = p.numel();
        float wd = h.weightDecay();
        float phi = 1f;
        if (h.trustRatio()) {
            double rr = 0;
            for (long i = 0; i < n; i++) {
                float r = gs.getAtIndex(F32, go + i) + wd * w.getAtIndex(F32, wo + i);
                rr += (double) r * r;
            }
            phi = Lamb.trustRatio(OptaxMath.l2(p.value()), Math.sqrt(rr), h.trustCoefficient(), h.eps());
        }
        StateSlot slot = slotOf("trace", p);
        Tensor bt = slot.open();
        MemorySegment b = bt.segment();
        long bo = bt.offset();
        float step = -h.lr();
        float mu = h.momentum();
        for (long i = 0; i < n; i++) {
            float wi = w.getAtIndex(F32, wo + i);
            float u = step * ((gs.getAtIndex(F32, go + i) + wd * wi) * phi);
            float bi = u + mu * b.getAtIndex(F32, bo + i);
            b.setAtIndex(F32, bo + i, bi);
            w.setAtIndex(F32, wo + i, wi + (h.nesterov() ? u + mu * bi : bi));
        }
        slot.commit(t);
    }
}
