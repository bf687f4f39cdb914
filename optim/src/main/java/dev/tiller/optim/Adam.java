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
 * step is one fused pass (RefOptim.adam / adamw), with it RefOptim.amsgrad. The implementation is
 * AdamFamily's, shared with AdamW.
 */
public final class Adam extends AdamFamily<AdamHyper> {
    /**
     * groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. amsgrad: whether to allocate the
     * "max_exp_avg_sq" state, which stepping with amsgrad = true needs.
     */
    public Adam(List<ParamGroup<AdamHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed, Amsgrad amsgrad) {
        super("Adam", groups, precisions, alloc, seed, amsgrad);
    }

    /** One group, float32 state, no amsgrad. */
    public Adam(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, Amsgrad.WITHOUT_MAX_STATE);
    }

    @Override
    AdamHyper asAdam(AdamHyper h) {
        return h;
    }
}
