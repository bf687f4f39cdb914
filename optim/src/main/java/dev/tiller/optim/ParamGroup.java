package dev.tiller.optim;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Parameters that share hyperparameters. The optimizer is stepped with one record; each group derives its own
 * from it with override (e.g. {@code h -> h.withWeightDecay(0)} for biases and norms, or a per-group lr factor), so
 * a controller that changes the record changes every group consistently.
 */
public record ParamGroup<H>(String name, List<ParamRef> params, UnaryOperator<H> override) {
    public ParamGroup {
        params = List.copyOf(params);
    }

    /** A group that uses the step's record unchanged. */
    public static <H> ParamGroup<H> of(String name, List<ParamRef> params) {
        return new ParamGroup<>(name, params, UnaryOperator.identity());
    }
}
