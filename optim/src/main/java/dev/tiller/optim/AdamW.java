package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2) with PyTorch's semantics
 * (torch.optim.AdamW, 2.11), in float32:
 * <pre>
 *   p = p (1 - lr lambda)                  (decoupled weight decay, lambda = weightDecay)
 *   g = -grad if maximize else grad
 *   m_t = beta1 m + (1 - beta1) g          v_t = beta2 v + (1 - beta2) g^2
 *   v_max = max(v_max, v_t) (amsgrad)      vhat = v_max or v_t
 *   p = p - lr / (1 - beta1^t) m_t / (sqrt(vhat) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * State "exp_avg" (m), "exp_avg_sq" (v) and, when constructed with amsgrad, "max_exp_avg_sq". Without amsgrad the
 * step is one fused pass (OptimKernels.adamw) that reads and writes p, g, m and v once each.
 */
public final class AdamW extends AbstractOptimizer<AdamWHyper> {
    private final boolean amsgradState;

    /**
     * groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. amsgrad: allocate the
     * "max_exp_avg_sq" state; stepping with amsgrad = true needs it.
     */
    public AdamW(List<ParamGroup<AdamWHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed, boolean amsgrad) {
        super("AdamW", groups, precisions, alloc, seed);
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
    public AdamW(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, false);
    }

    @Override
    protected void update(ParamRef p, AdamWHyper h, long t) {
        if (h.amsgrad() && !amsgradState) {
            throw new IllegalStateException("AdamW: amsgrad = true needs the max_exp_avg_sq state; construct the "
                    + "optimizer with amsgrad = true");
        }
        AdamUpdate.step(p, slotOf("exp_avg", p), slotOf("exp_avg_sq", p),
                h.amsgrad() ? slotOf("max_exp_avg_sq", p) : null, t, h.lr(), h.beta1(), h.beta2(), h.eps(),
                h.weightDecay(), true, h.amsgrad(), h.maximize());
    }
}
