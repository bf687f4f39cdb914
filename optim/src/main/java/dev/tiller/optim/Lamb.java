package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning", arXiv 1904.00962) with Optax's semantics
 * (optax.lamb = scale_by_adam, add_decayed_weights, scale_by_trust_ratio, scale_by_learning_rate), per tensor:
 * <pre>
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   r = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + epsRoot) + eps) + weightDecay * p
 *   phi = ||p|| / ||r||   (1 when either norm is 0)
 *   p = p - lr * phi * r
 * </pre>
 * State "mu/NAME", "nu/NAME" (Optax's names), zero at start. The trust ratio needs ||r|| before any weight moves,
 * so a first pass updates the moments and accumulates ||r||^2 and a second pass recomputes r (bit-identically) and
 * applies it; nothing is allocated per step.
 */
public final class Lamb extends AbstractOptimizer<LambHyper, Moments> {
    public Lamb(List<ParamGroup<LambHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("LAMB", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("mu", p), slot("nu", p)));
    }

    /** One group, float32 state. */
    public Lamb(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, LambHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = s.first().openElements();
        Floats v = s.second().openElements();
        long n = p.numel();
        OptaxBetas k = OptaxBetas.of(h.b1(), h.b2(), t);
        double rr = 0;
        for (long i = 0; i < n; i++) {
            float gi = g.get(i);
            float mi = k.firstMoment(m.get(i), gi);
            float vi = k.secondMoment(v.get(i), gi);
            m.set(i, mi);
            v.set(i, vi);
            float ri = direction(mi, vi, w.get(i), h, k);
            rr += (double) ri * ri;
        }
        float phi = trustRatio(OptaxMath.l2(p.value()), Math.sqrt(rr), 1f, 0f);
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float wi = w.get(i);
            float u = direction(m.get(i), v.get(i), wi, h, k) * phi;
            w.set(i, wi + step * u);
        }
        s.commit(t);
    }

    /** r = m_hat / (sqrt(v_hat + epsRoot) + eps) + weightDecay * p. */
    private static float direction(float m, float v, float p, LambHyper h, OptaxBetas k) {
        return (m / k.bc1()) / ((float) Math.sqrt(v / k.bc2() + h.epsRoot()) + h.eps()) + h.weightDecay() * p;
    }

    /**
     * optax.scale_by_trust_ratio's factor: coefficient * ||p|| / (||u|| + eps), replaced by 1 when either norm is 0
     * (so a zero-initialised layer, or a zero update, is not frozen).
     */
    static float trustRatio(double paramNorm, double updateNorm, float coefficient, float eps) {
        if (paramNorm == 0 || updateNorm == 0) {
            return 1f;
        }
        return coefficient * (float) paramNorm / ((float) updateNorm + eps);
    }
}
