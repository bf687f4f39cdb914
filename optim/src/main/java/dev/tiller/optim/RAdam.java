package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * RAdam (Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and Beyond", Algorithm 2) with PyTorch's
 * semantics (torch.optim.RAdam, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p   (or p = p (1 - lr lambda) when decoupledWeightDecay)
 *   m_t = beta1 m + (1 - beta1) g               v_t = beta2 v + (1 - beta2) g^2
 *   mhat = m_t / (1 - beta1^t)
 *   rho_inf = 2 / (1 - beta2) - 1               rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *   if rho_t &gt; 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *                   p = p - mhat lr sqrt(1 - beta2^t) / (sqrt(v_t) + eps) r_t
 *   else:           p = p - mhat lr                  (un-adapted momentum SGD while the variance is intractable)
 * </pre>
 * State "exp_avg" and "exp_avg_sq".
 */
public final class RAdam extends AbstractOptimizer<RAdamHyper, Moments> {
    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public RAdam(List<ParamGroup<RAdamHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                 long seed) {
        super("RAdam", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("exp_avg", p), slot("exp_avg_sq", p)));
    }

    /** One group, float32 state. */
    public RAdam(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, RAdamHyper h, long t) {
        double beta2D = Scalars.decimal(h.beta2());
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta1()), t);
        double bc2 = 1.0 - StrictMath.pow(beta2D, t);
        double rhoInf = 2.0 / (1.0 - beta2D) - 1.0;
        double rhoT = rhoInf - 2.0 * t * StrictMath.pow(beta2D, t) / bc2;
        boolean rectified = rhoT > 5.0;
        float rect = rectified
                ? (float) Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0f;
        float bc1F = (float) bc1;
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float lr = h.lr();
        float eps = h.eps();
        AdamTerms terms = AdamTerms.of(h.lr(), h.beta1(), h.beta2(), eps, h.weightDecay(),
                WeightDecay.decoupledIf(h.decoupledWeightDecay()), Scalars.gradSign(h.maximize()));
        terms.update(p, s, t, (pi, gi, mi, vi) -> {
            float d = mi / bc1F * lr;
            if (rectified) {
                float adaptive = bc2Sqrt / ((float) Math.sqrt(vi) + eps);
                d = d * adaptive * rect;
            }
            return pi - d;
        });
    }
}
