package dev.tiller.optim;

/**
 * Lion hyperparameters with Optax's meaning (optax.lion, 0.2.8): lr (learning_rate), b1 (interpolation of momentum
 * and gradient inside the sign), b2 (momentum decay), weightDecay (multiplied by lr, decoupled from the sign).
 * Optax's weight-decay mask is a parameter group whose override sets weightDecay to 0.
 */
public record LionHyper(float lr, float b1, float b2, float weightDecay) {
    public LionHyper {
        Check.nonNegative("Lion", "lr", lr);
        Check.closed("Lion", "b1", b1, 0, 1);
        Check.closed("Lion", "b2", b2, 0, 1);
        Check.nonNegative("Lion", "weightDecay", weightDecay);
    }

    /** Optax's defaults: b1 = 0.9, b2 = 0.99, weight_decay = 1e-3. */
    public static LionHyper of(float lr) {
        return new LionHyper(lr, 0.9f, 0.99f, 1e-3f);
    }

    public LionHyper withLr(float v) {
        return new LionHyper(v, b1, b2, weightDecay);
    }

    public LionHyper withWeightDecay(float v) {
        return new LionHyper(lr, b1, b2, v);
    }
}
