package dev.tiller.optim;

import dev.tiller.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * An optimizer is off-heap state plus {@code step(hyper)}. Hyperparameters are an immutable, validated
 * record passed on every step, so a controller changes any of them between steps by passing a new record; nobody
 * mutates optimizer fields from outside. State is allocated eagerly, named for checkpoints, and round-trips bitwise.
 *
 * @param <H> the hyperparameter record type
 */
public interface Optimizer<H extends Record> {
    /** The algorithm's name, as in messages: "AdamW", "SGD", ... */
    String name();

    /** Applies one update to every parameter from its current gradient. */
    void step(H hyper);

    /** Number of steps applied so far (the paper's t after the last step). */
    long stepCount();

    /** The parameter groups. */
    List<ParamGroup<H>> groups();

    /**
     * Named state tensors in their stored form ("m/fc.weight", "v/fc.weight", ...), live views: writing them changes
     * the optimizer. Scalars that are not per-parameter (the step count) come from {@link #stepCount()}.
     */
    Map<String, Tensor> state();

    /**
     * Restores state saved from {@link #state()} of an optimizer over the same parameters: every name must be
     * present with the same dtype and shape, else the error names the tensor. Copies bitwise.
     */
    void loadState(Map<String, Tensor> saved, long stepCount);

    /**
     * Makes the next {@link #step} add to sink, per parameter, the sums of squares of the update it applies and of
     * the weight before it, computed in the step's fused pass; the step's bits are the same with or without. Returns
     * false (and leaves sink empty) when this optimizer cannot; a sink closed before the step is ignored.
     */
    default boolean recordUpdateStats(UpdateStats sink) {
        return false;
    }

    /** Bytes held by the stored state (what a checkpoint of the optimizer costs). */
    long stateBytes();
}
