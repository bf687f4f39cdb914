package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

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
public final class Lion extends AbstractOptimizer<LionHyper, StateSlot> {
    public Lion(List<ParamGroup<LionHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("Lion", groups, precisions, alloc, seed);
        declareState(p -> slot("mu", p));
    }

    /** One group, float32 state. */
    public Lion(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected boolean measuresUpdates() {
        return true;
    }

    @Override
    protected void update(ParamRef p, StateSlot mu, LionHyper h, long t) {
        // One fused pass (RefOptim.lion): u = sign((1-b1) g + b1 m), m = (1-b2) g + b2 m,
        // p = p + (-lr) (u + wd p), in that order, no FMA, so it equals Optax's composed ops.
        FusedUpdate.lion(p.value(), p.grad(), mu.open(), h.lr(), h.b1(), Scalars.oneMinus(h.b1()), h.b2(),
                Scalars.oneMinus(h.b2()), h.weightDecay(), updateSums(p));
        mu.commit(t);
    }
}
