package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", Algorithm 1) with PyTorch's semantics
 * (torch.optim.Adadelta, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   E[g^2]_t = rho E[g^2] + (1 - rho) g^2
 *   dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2]_t + eps) * g
 *   E[dx^2]_t = rho E[dx^2] + (1 - rho) dx^2
 *   p = p - lr dx
 * </pre>
 * State "square_avg" (E[g^2]) and "acc_delta" (E[dx^2]).
 */
public final class Adadelta extends AbstractOptimizer<AdadeltaHyper, Moments> {
    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public Adadelta(List<ParamGroup<AdadeltaHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                    long seed) {
        super("Adadelta", groups, precisions, alloc, seed);
        declareState(p -> new Moments(slot("square_avg", p), slot("acc_delta", p)));
    }

    /** One group, float32 state. */
    public Adadelta(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, AdadeltaHyper h, long t) {
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float rho = h.rho();
        float c = Scalars.oneMinus(h.rho());
        float eps = h.eps();
        float negLr = -h.lr();

        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats sq = s.first().openElements();
        Floats acc = s.second().openElements();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = w.get(i);
            float gi = sign * g.get(i) + l2 * pi;
            float si = sq.get(i) * rho + c * gi * gi;
            sq.set(i, si);
            float std = (float) Math.sqrt(si + eps);
            float dx = (float) Math.sqrt(acc.get(i) + eps) / std * gi;
            acc.set(i, acc.get(i) * rho + c * dx * dx);
            w.set(i, pi + negLr * dx);
        }
        s.commit(t);
    }
}
