package dev.tiller.conform.optim;

import dev.tiller.optim.ParamRef;
import dev.tiller.conform.GoldenCase;

import java.util.List;

/**
 * Builds a Tiller optimizer for a golden case from the reference library's name and hyperparameters (in that
 * library's spelling, with its defaults for anything the case does not list).
 */
public interface OptimizerFactory {
    /** One optimizer step with the case's hyperparameters, reading each ParamRef's grad and updating its value. */
    @FunctionalInterface
    interface Stepper {
        void step();
    }

    /**
     * A stepper for c over params, or null when this factory does not know c's optimizer name.
     * Unknown or out-of-range hyperparameters raise errors naming the case and the field.
     */
    Stepper create(GoldenCase c, String optimizer, List<ParamRef> params);
}
