package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * AdaBelief (Zhuang et al. 2020, arXiv 2010.07468) with Optax's semantics (optax.adabelief = scale_by_belief,
 * scale_by_learning_rate):
 * <pre>
 *   m = b1 m + (1 - b1) g
 *   s = b2 s + (1 - b2) (g - m)^2 + epsRoot          (the new m; epsRoot enters the state)
 *   m_hat = m / (1 - b1^t)   or, with nesterov, b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)
 *   p = p - lr * m_hat / (sqrt(s / (1 - b2^t)) + eps)
 * </pre>
 * State "mu/NAME", "nu/NAME" (Optax's names), zero at start.
 */
public final class AdaBelief extends AbstractOptimizer<AdaBeliefHyper, Moments> {
    public AdaBelief(List<ParamGroup<AdaBeliefHyper>> groups, Map<String, StatePrecision> precisions,
                     Allocator alloc, long seed) {
        super("AdaBelief", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("mu", p), slot("nu", p)));
    }

    /** One group, float32 state. */
    public AdaBelief(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments state, AdaBeliefHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = state.first().openElements();
        Floats s = state.second().openElements();
        OptaxBetas k = OptaxBetas.of(h.b1(), h.b2(), t);
        float bc1Next = OptaxMath.biasCorrection(h.b1(), t + 1);
        float step = -h.lr();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float gi = g.get(i);
            float mi = k.firstMoment(m.get(i), gi);
            float e = gi - mi;
            float si = k.secondMoment(s.get(i), e) + h.epsRoot();
            m.set(i, mi);
            s.set(i, si);
            float mHat = h.nesterov() ? k.b1() * (mi / bc1Next) + k.c1() * (gi / k.bc1()) : mi / k.bc1();
            float u = mHat / ((float) Math.sqrt(si / k.bc2()) + h.eps());
            float wi = w.get(i);
            w.set(i, wi + step * u);
        }
        state.commit(t);
    }
}
