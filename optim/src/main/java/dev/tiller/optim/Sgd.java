package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

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
 * step counter being 1 for that parameter. One fused pass per parameter (RefOptim.sgd / sgdMomentum).
 */
public final class Sgd extends AbstractOptimizer<SgdHyper, StateSlot> {
    public Sgd(List<ParamGroup<SgdHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc, long seed) {
        super("SGD", groups, precisions, alloc, seed);
        declareState(p -> slot("momentum_buffer", p));
    }

    /** One group, float32 state. */
    public Sgd(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected boolean measuresUpdates() {
        return true;
    }

    @Override
    protected void update(ParamRef p, StateSlot buffer, SgdHyper h, long t) {
        if (h.momentum() == 0f) {
            FusedUpdate.sgd(p.value(), p.grad(), Scalars.gradSign(h.maximize()), h.weightDecay(), h.lr(),
                    updateSums(p));
            return;
        }
        FusedUpdate.sgdMomentum(p.value(), p.grad(), buffer.open(), SgdStep.of(h, t), updateSums(p));
        buffer.commit(t);
    }
}
