package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam", with the momentum schedule of Sutskever et al.)
 * with PyTorch's semantics (torch.optim.NAdam, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p   (or p = p (1 - lr lambda) when decoupledWeightDecay)
 *   mu_t = beta1 (1 - 0.5 * 0.96^(t psi))       mu_{t+1} = beta1 (1 - 0.5 * 0.96^((t + 1) psi))
 *   prod_t = prod_{t-1} mu_t                    (float32 state "mu_product", starts at 1)
 *   m_t = beta1 m + (1 - beta1) g               v_t = beta2 v + (1 - beta2) g^2
 *   denom = sqrt(v_t / (1 - beta2^t)) + eps
 *   p = p - lr (1 - mu_t) / (1 - prod_t) g / denom - lr mu_{t+1} / (1 - prod_t mu_{t+1}) m_t / denom
 * </pre>
 * psi = momentumDecay. State "exp_avg", "exp_avg_sq" and the per-parameter scalar "mu_product", which PyTorch keeps
 * as a float32 tensor: the product is rounded to float each step, and the step sizes are computed in double from
 * that float, as there.
 */
public final class NAdam extends AbstractOptimizer<NAdamHyper, NAdam.NAdamState> {
    /** "exp_avg" and "exp_avg_sq" (moments) and the one-element "mu_product". */
    record NAdamState(Moments moments, StateSlot muProduct) {}

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public NAdam(List<ParamGroup<NAdamHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                 long seed) {
        super("NAdam", groups, precisions, alloc, seed);
        declareState(p -> new NAdamState(new Moments(slot("exp_avg", p), slot("exp_avg_sq", p)),
                slot("mu_product", p, 1).fill(1f)));
    }

    /** One group, float32 state. */
    public NAdam(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, NAdamState s, NAdamHyper h, long t) {
        double lr = Scalars.decimal(h.lr());
        double beta1 = Scalars.decimal(h.beta1());
        double psi = Scalars.decimal(h.momentumDecay());
        float bc2 = (float) (1.0 - StrictMath.pow(Scalars.decimal(h.beta2()), t));
        double mu = beta1 * (1.0 - 0.5 * StrictMath.pow(0.96, t * psi));
        double muNext = beta1 * (1.0 - 0.5 * StrictMath.pow(0.96, (t + 1) * psi));
        Floats prodT = s.muProduct().openElements();
        float prod = prodT.get(0) * (float) mu;
        prodT.set(0, prod);
        s.muProduct().commit(t);
        double prodNext = prod * muNext;
        float gradStep = (float) (-lr * (1.0 - mu) / (1.0 - prod));
        float momentumStep = (float) (-lr * muNext / (1.0 - prodNext));
        float eps = h.eps();
        AdamTerms terms = AdamTerms.of(h.lr(), h.beta1(), h.beta2(), eps, h.weightDecay(),
                WeightDecay.decoupledIf(h.decoupledWeightDecay()), Scalars.gradSign(h.maximize()));
        terms.update(p, s.moments(), t, (pi, gi, mi, vi) -> {
            float denom = (float) Math.sqrt(vi / bc2) + eps;
            float afterGrad = pi + gradStep * gi / denom;
            return afterGrad + momentumStep * mi / denom;
        });
    }
}
