package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * Adagrad (Duchi, Hazan and Singer 2011, "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization") with PyTorch's semantics (torch.optim.Adagrad, 2.11, dense gradients), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   lr_t = lr / (1 + (t - 1) lrDecay)
 *   s_t = s + g^2                          (s_0 = initialAccumulatorValue)
 *   p = p - lr_t g / (sqrt(s_t) + eps)
 * </pre>
 * State "sum" (s).
 */
public final class Adagrad extends AbstractOptimizer<AdagradHyper, StateSlot> {
    /**
     * groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. initialAccumulatorValue: the
     * start value of every sum (PyTorch's initial_accumulator_value, default 0), finite and &gt;= 0.
     */
    public Adagrad(List<ParamGroup<AdagradHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                   long seed, float initialAccumulatorValue) {
        super("Adagrad", groups, precisions, alloc, seed);
        Check.nonNegative("Adagrad", "initialAccumulatorValue", initialAccumulatorValue);
        declareState(p -> initialAccumulatorValue == 0f ? slot("sum", p)
                : slot("sum", p).fill(initialAccumulatorValue));
    }

    /** One group, float32 state, accumulators starting at 0. */
    public Adagrad(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, 0f);
    }

    @Override
    protected void update(ParamRef p, StateSlot sum, AdagradHyper h, long t) {
        float negClr = (float) -(Scalars.decimal(h.lr()) / (1.0 + (t - 1) * Scalars.decimal(h.lrDecay())));
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float eps = h.eps();

        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats s = sum.openElements();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = w.get(i);
            float gi = sign * g.get(i) + l2 * pi;
            float si = s.get(i) + gi * gi;
            s.set(i, si);
            w.set(i, pi + negClr * gi / ((float) Math.sqrt(si) + eps));
        }
        sum.commit(t);
    }
}
