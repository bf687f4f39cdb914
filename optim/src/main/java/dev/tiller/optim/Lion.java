package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", arXiv 2302.06675) with Optax's semantics
 * (optax.lion = scale_by_lion, add_decayed_weights, scale_by_learning_rate):
 * <pre>
 *   c = b1 * m + (1 - b1) * g
 *   m = b2 * m + (1 - b2) * g
 *   p = p - lr * (sign(c) + weightDecay * p)          sign(0) = 0
 * </pre>
 * One state tensor, "mu/NAME" (Optax's name for the momentum), zero at start.
 */
public final class Lion extends AbstractOptimizer<LionHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public Lion(List<ParamGroup<LionHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("Lion", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("mu", p);
        }
    }

    /** One group, float32 state. */
    public Lion(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, LionHyper h, long t) {
        // TODO(#4): dispatch to the fused OptimKernels.lion (SIMD, with its scalar twin) once it lands; this loop is
        // the reference it must equal.
        StateSlot slot = slotOf("mu", p);
        Tensor mt = slot.open();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment m = mt.segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long mo = mt.offset();
        long n = p.numel();
        float b1 = h.b1();
        float c1 = OptaxMath.oneMinus(b1);   // 1 - b1
        float b2 = h.b2();
        float c2 = OptaxMath.oneMinus(b2);   // 1 - b2
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float mi = m.getAtIndex(F32, mo + i);
            float c = c1 * g + b1 * mi;
            m.setAtIndex(F32, mo + i, c2 * g + b2 * mi);
            float wi = w.getAtIndex(F32, wo + i);
            float u = Math.signum(c) + h.weightDecay() * wi;
            w.setAtIndex(F32, wo + i, wi + (-h.lr()) * u);
        }
        slot.commit(t);
    }
}
