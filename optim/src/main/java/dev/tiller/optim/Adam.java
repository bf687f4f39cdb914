package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1) with PyTorch's semantics
 * (torch.optim.Adam, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p               (L2 weight decay, lambda = weightDecay)
 *     (decoupledWeightDecay instead: p = p (1 - lr lambda), as AdamW)
 *   m_t = beta1 m + (1 - beta1) g          v_t = beta2 v + (1 - beta2) g^2
 *   v_max = max(v_max, v_t) (amsgrad)      vhat = v_max or v_t
 *   p = p - lr / (1 - beta1^t) m_t / (sqrt(vhat) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * State "exp_avg" (m), "exp_avg_sq" (v) and, when constructed with amsgrad, "max_exp_avg_sq". Without amsgrad the
 * step is one fused pass (OptimKernels.adam / adamw).
 */
public final class Adam extends AbstractOptimizer<AdamHyper> {
    private final boolean amsgradState;

    /**
     * groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. amsgrad: allocate the
     * "max_exp_avg_sq" state; stepping with amsgrad = true needs it.
     */
    public Adam(List<ParamGroup<AdamHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed, boolean amsgrad) {
        super("Adam", groups, precisions, alloc, seed);
        this.amsgradState = amsgrad;
        for (ParamRef p : allParams()) {
            slot("exp_avg", p);
            slot("exp_avg_sq", p);
            if (amsgrad) {
                slot("max_exp_avg_sq", p);
            }
        }
    }

    /** One group, float32 state, no amsgrad. */
    public Adam(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, false);
    }

    @Override
    protected void update(ParamRef p, AdamHyper h, long t) {
        if (h.amsgrad() && !amsgradState) {
            throw new IllegalStateException("Adam: amsgrad = true needs the max_exp_avg_sq state; construct the "
                    + "optimizer with amsgrad = true");
        }
        AdamUpdate.step(p, slotOf("exp_avg", p), slotOf("exp_avg_sq", p),
                h.amsgrad() ? slotOf("max_exp_avg_sq", p) : null, t, h.lr(), h.beta1(), h.beta2(), h.eps(),
                h.weightDecay(), h.decoupledWeightDecay(), h.amsgrad(), h.maximize());
    }
}
