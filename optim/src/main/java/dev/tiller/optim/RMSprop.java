package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.kernel.ref.RefOptim;

import java.util.List;
import java.util.Map;

/**
 * RMSprop (Hinton, Coursera lecture 6e; centered form from Graves 2013, "Generating Sequences With Recurrent Neural
 * Networks", eq. 38-45) with PyTorch's semantics (torch.optim.RMSprop, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   v_t = alpha v + (1 - alpha) g^2
 *   centered:  gbar_t = alpha gbar + (1 - alpha) g;   a = sqrt(v_t - gbar_t^2) + eps
 *   else:      a = sqrt(v_t) + eps
 *   momentum mu &gt; 0:  b_t = mu b + g / a;   p = p - lr b_t
 *   else:              p = p - lr g / a
 * </pre>
 * State "square_avg" (v), "grad_avg" (gbar) and "momentum_buffer" (b); all three are allocated eagerly so that
 * centered and momentum may be switched on between steps.
 */
public final class RMSprop extends AbstractOptimizer<RMSpropHyper, RMSprop.RMSpropState> {
    /** "square_avg" (v), "grad_avg" (gbar) and "momentum_buffer" (b). */
    record RMSpropState(StateSlot squareAvg, StateSlot gradAvg, StateSlot momentumBuffer) {}

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public RMSprop(List<ParamGroup<RMSpropHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                   long seed) {
        super("RMSprop", groups, precisions, alloc, seed);
        declareState(p -> new RMSpropState(slot("square_avg", p), slot("grad_avg", p),
                slot("momentum_buffer", p)));
    }

    /** One group, float32 state. */
    public RMSprop(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, RMSpropState s, RMSpropHyper h, long t) {
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float alpha = h.alpha();
        float c = Scalars.oneMinus(h.alpha());
        float eps = h.eps();
        float negLr = -h.lr();
        float mu = h.momentum();
        boolean centered = h.centered();
        boolean useMomentum = mu > 0f;

        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats v = s.squareAvg().openElements();
        Floats a = centered ? s.gradAvg().openElements() : v;
        Floats b = useMomentum ? s.momentumBuffer().openElements() : v;
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = w.get(i);
            float gi = sign * g.get(i) + l2 * pi;
            float vi = v.get(i) * alpha + c * gi * gi;
            v.set(i, vi);
            float avg;
            if (centered) {
                float ai = RefOptim.lerp(a.get(i), gi, c);
                a.set(i, ai);
                avg = (float) Math.sqrt(vi + -1f * ai * ai) + eps;
            } else {
                avg = (float) Math.sqrt(vi) + eps;
            }
            if (useMomentum) {
                float bi = b.get(i) * mu + gi / avg;
                b.set(i, bi);
                w.set(i, pi + negLr * bi);
            } else {
                w.set(i, pi + negLr * gi / avg);
            }
        }
        s.squareAvg().commit(t);
        if (centered) {
            s.gradAvg().commit(t);
        }
        if (useMomentum) {
            s.momentumBuffer().commit(t);
        }
    }
}
