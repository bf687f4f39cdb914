package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.kernel.ref.RefOptim;

import java.util.List;
import java.util.Map;

/**
 * Adamax (Kingma and Ba 2015, section 7.1: Adam with the infinity norm) with PyTorch's semantics
 * (torch.optim.Adamax, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   m_t = beta1 m + (1 - beta1) g
 *   u_t = max(beta2 u, |g| + eps)
 *   p = p - lr / (1 - beta1^t) m_t / u_t
 * </pre>
 * State "exp_avg" (m) and "exp_inf" (u). eps sits inside the max, as in PyTorch.
 */
public final class Adamax extends AbstractOptimizer<AdamaxHyper, Moments> {
    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public Adamax(List<ParamGroup<AdamaxHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                  long seed) {
        super("Adamax", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("exp_avg", p), slot("exp_inf", p)));
    }

    /** One group, float32 state. */
    public Adamax(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, AdamaxHyper h, long t) {
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta1()), t);
        float negClr = (float) -(Scalars.decimal(h.lr()) / bc1);
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float w1 = Scalars.oneMinus(h.beta1());
        float beta2 = h.beta2();
        float eps = h.eps();

        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = s.first().openElements();
        Floats u = s.second().openElements();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = w.get(i);
            float gi = sign * g.get(i) + l2 * pi;
            float mi = RefOptim.lerp(m.get(i), gi, w1);
            float ui = Math.max(u.get(i) * beta2, Math.abs(gi) + eps);
            m.set(i, mi);
            u.set(i, ui);
            w.set(i, pi + negClr * mi / ui);
        }
        s.commit(t);
    }
}
