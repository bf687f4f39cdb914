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
 * step counter being 1 for that parameter. One fused pass per parameter (OptimKernels.sgd / sgdMomentum).
 */
public final class Sgd extends AbstractOptimizer<SgdHyper> {
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
        float sign = Scalars.gradSign(h.maximize());
        if (h.momentum() == 0f) {
            FusedUpdate.sgd(p.value(), p.grad(), sign, h.weightDecay(), h.lr());
            return;
        }
        StateSlot slot = slotOf("momentum_buffer", p);
        FusedUpdate.sgdMomentum(p.value(), p.grad(), slot.open(), sign, h.weightDecay(), h.lr(), h.momentum(),
                Scalars.oneMinus(h.dampening()), h.nesterov(), t == 1);
        slot.commit(t);
    }
}
