package dev.tiller.optim.golden;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.io.GoldenCase;

import java.util.List;

/**
 * Golden-case factories for optimizers named as Optax functions (optax.lion, optax.lamb, ...), with Optax's
 * defaults. Optax cases apply params + updates and receive the current params in update.
 */
final class OptaxOptimizers implements OptimizerFactory {
    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        return null;    // TODO(#4): lion, lamb, lars, adabelief, yogi, adan, novograd, schedule_free_adamw, prodigy
    }
}
