package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * Adan (Xie et al. 2022, "Adan: Adaptive Nesterov Momentum Algorithm", arXiv 2208.06677, Algorithm 1) with Optax's
 * semantics (optax.adan = scale_by_adan, add_decayed_weights, scale_by_learning_rate):
 * <pre>
 *   d = g - g_prev   (0 at the first step)
 *   m = b1 m + (1 - b1) g
 *   v = b2 v + (1 - b2) d
 *   n = b3 n + (1 - b3) (g + (1 - b2) d)^2
 *   u = (m / (1 - b1^t) + (1 - b2) v / (1 - b2^t)) / (sqrt(n / (1 - b3^t) + epsRoot) + eps)
 *   p = p - lr * (u + weightDecay * p)
 * </pre>
 * NOTE: Optax's decay is additive (lr * weightDecay * p), not the paper's proximal division by (1 + lr * weightDecay).
 * State "m/NAME", "v/NAME", "n/NAME" and the previous gradient "g/NAME" (Optax's names), zero at start.
 */
public final class Adan extends AbstractOptimizer<AdanHyper, Adan.AdanState> {
    /** "m", "v", "n" and the previous gradient "g". */
    record AdanState(StateSlot m, StateSlot v, StateSlot n, StateSlot prevGrad) {}

    public Adan(List<ParamGroup<AdanHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("Adan", groups, precisions, alloc, seed);
        declareState(p -> new AdanState(slot("m", p), slot("v", p), slot("n", p), slot("g", p)));
    }

    /** One group, float32 state. */
    public Adan(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, AdanState s, AdanHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = s.m().openElements();
        Floats v = s.v().openElements();
        Floats nu = s.n().openElements();
        Floats gp = s.prevGrad().openElements();
        OptaxBetas k = OptaxBetas.of(h.b1(), h.b2(), t);
        float c2 = k.c2();
        float b3 = h.b3();
        float c3 = Scalars.oneMinus(b3);   // 1 - b3
        float bc3 = OptaxMath.biasCorrection(b3, t);
        float step = -h.lr();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float gi = g.get(i);
            float d = t == 1 ? 0f : gi - gp.get(i);
            float mi = k.firstMoment(m.get(i), gi);
            float vi = c2 * d + k.b2() * v.get(i);
            float sq = gi + c2 * d;
            float ni = c3 * (sq * sq) + b3 * nu.get(i);
            m.set(i, mi);
            v.set(i, vi);
            nu.set(i, ni);
            gp.set(i, gi);
            float u = (mi / k.bc1() + c2 * (vi / k.bc2())) / ((float) Math.sqrt(ni / bc3 + h.epsRoot()) + h.eps());
            float wi = w.get(i);
            w.set(i, wi + step * (u + h.weightDecay() * wi));
        }
        s.m().commit(t);
        s.v().commit(t);
        s.n().commit(t);
        s.prevGrad().commit(t);
    }
}
