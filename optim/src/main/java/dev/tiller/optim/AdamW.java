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
 * step is one fused pass (RefOptim.adamw) that reads and writes p, g, m and v once each. The implementation
 * is AdamFamily's: AdamW is Adam with decoupled weight decay.
 */
public final class AdamW extends AdamFamily<AdamWHyper> {
    /**
     * groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. amsgrad: whether to allocate the
     * "max_exp_avg_sq" state, which stepping with amsgrad = true needs.
     */
    public AdamW(List<ParamGroup<AdamWHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                 long seed, Amsgrad amsgrad) {
        super("AdamW", groups, precisions, alloc, seed, amsgrad);
    }

    /** One group, float32 state, no amsgrad. */
    public AdamW(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, Amsgrad.WITHOUT_MAX_STATE);
    }

    @Override
    AdamHyper asAdam(AdamWHyper h) {
        return h.asAdam();
    }
}
