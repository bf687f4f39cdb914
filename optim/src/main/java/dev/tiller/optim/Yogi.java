package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization", NeurIPS) with Optax's semantics
 * (optax.yogi = scale_by_yogi, scale_by_learning_rate):
 * <pre>
 *   m = b1 m + (1 - b1) g
 *   v = v - (1 - b2) sign(v - g^2) g^2
 *   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + epsRoot) + eps)
 * </pre>
 * NOTE: both moments start at initial_accumulator_value (1e-6 in Optax), not 0, and are still bias-corrected.
 * State "mu/NAME", "nu/NAME" (Optax's names).
 */
public final class Yogi extends AbstractOptimizer<YogiHyper, Moments> {
    /** Optax's initial_accumulator_value. */
    public static final float INITIAL_ACCUMULATOR = 1e-6f;

    /** initialAccumulator: the start value of both moments (must be finite and > 0). */
    public Yogi(List<ParamGroup<YogiHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed, float initialAccumulator) {
        super("Yogi", groups, precisions, alloc, seed);
        Check.positive("Yogi", "initialAccumulator", initialAccumulator);
        declareState(p -> new Moments(slot("mu", p).fill(initialAccumulator),
                slot("nu", p).fill(initialAccumulator)));
    }

    /** One group, float32 state, Optax's start value. */
    public Yogi(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, INITIAL_ACCUMULATOR);
    }

    @Override
    protected void update(ParamRef p, Moments s, YogiHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = s.first().openElements();
        Floats v = s.second().openElements();
        long n = p.numel();
        OptaxBetas k = OptaxBetas.of(h.b1(), h.b2(), t);
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float gi = g.get(i);
            float g2 = gi * gi;
            float mi = k.firstMoment(m.get(i), gi);
            float vPrev = v.get(i);
            float vi = vPrev - k.c2() * Math.signum(vPrev - g2) * g2;
            m.set(i, mi);
            v.set(i, vi);
            float u = (mi / k.bc1()) / ((float) Math.sqrt(vi / k.bc2() + h.epsRoot()) + h.eps());
            float wi = w.get(i);
            w.set(i, wi + step * u);
        }
        s.commit(t);
    }
}
