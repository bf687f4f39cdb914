package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * NovoGrad (Ginsburg et al. 2019, "Stochastic Gradient Methods with Layer-wise Adaptive Moments", arXiv 1905.11286)
 * with Optax's semantics (optax.novograd = scale_by_novograd, scale_by_learning_rate). The second moment is one
 * number per tensor (layer-wise):
 * <pre>
 *   v = ||g||^2                              at t = 1, else  v = b2 v + (1 - b2) ||g||^2
 *   m = g / (sqrt(v + epsRoot) + eps) + weightDecay * p        at t = 1, else  m = b1 m + (that)
 *   p = p - lr * m
 * </pre>
 * No bias correction. State "mu/NAME" (shaped like the parameter) and "nu/NAME" (shape (1)), Optax's names.
 */
public final class NovoGrad extends AbstractOptimizer<NovoGradHyper, Moments> {
    public NovoGrad(List<ParamGroup<NovoGradHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                    long seed) {
        super("NovoGrad", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("mu", p), slot("nu", p, 1)));
    }

    /** One group, float32 state. */
    public NovoGrad(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, NovoGradHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = s.first().openElements();
        Floats v = s.second().openElements();
        float gg = (float) (OptaxMath.l2(p.grad()) * OptaxMath.l2(p.grad()));
        float nu = t == 1 ? gg : Scalars.oneMinus(h.b2()) * gg + h.b2() * v.get(0);
        v.set(0, nu);
        float denom = (float) Math.sqrt(nu + h.epsRoot()) + h.eps();
        float b1 = h.b1();
        float step = -h.lr();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float wi = w.get(i);
            float a = g.get(i) / denom + h.weightDecay() * wi;
            float mi = t == 1 ? a : b1 * m.get(i) + a;
            m.set(i, mi);
            w.set(i, wi + step * mi);
        }
        s.commit(t);
    }
}
