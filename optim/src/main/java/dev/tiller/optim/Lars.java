package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * LARS (You, Gitman, Ginsburg 2017, "Large Batch Training of Convolutional Networks", arXiv 1708.03888) with
 * Optax's semantics (optax.lars = add_decayed_weights, masked scale_by_trust_ratio, scale_by_learning_rate, trace),
 * per tensor:
 * <pre>
 *   r = g + weightDecay * p
 *   phi = trustCoefficient * ||p|| / (||r|| + eps)   (1 when either norm is 0; 1 when trustRatio is off)
 *   u = -lr * phi * r
 *   b = u + momentum * b
 *   p = p + (nesterov ? u + momentum * b : b)
 * </pre>
 * NOTE: as in Optax the momentum trace "trace/NAME" accumulates lr-scaled steps, so a learning-rate change only
 * affects new contributions (unlike PyTorch-style SGD momentum applied before the learning rate).
 */
public final class Lars extends AbstractOptimizer<LarsHyper, StateSlot> {
    public Lars(List<ParamGroup<LarsHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("LARS", groups, precisions, alloc, seed);
        declareState(p -> slot("trace", p));
    }

    /** One group, float32 state. */
    public Lars(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, StateSlot trace, LarsHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        long n = p.numel();
        float wd = h.weightDecay();
        float phi = 1f;
        if (h.trustRatio()) {
            double rr = 0;
            for (long i = 0; i < n; i++) {
                float r = g.get(i) + wd * w.get(i);
                rr += (double) r * r;
            }
            phi = Lamb.trustRatio(OptaxMath.l2(p.value()), Math.sqrt(rr), h.trustCoefficient(), h.eps());
        }
        Floats b = trace.openElements();
        float step = -h.lr();
        float mu = h.momentum();
        for (long i = 0; i < n; i++) {
            float wi = w.get(i);
            float u = step * ((g.get(i) + wd * wi) * phi);
            float bi = u + mu * b.get(i);
            b.set(i, bi);
            w.set(i, wi + (h.nesterov() ? u + mu * bi : bi));
        }
        trace.commit(t);
    }
}
