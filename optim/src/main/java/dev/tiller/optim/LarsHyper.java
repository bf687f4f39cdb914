package dev.tiller.optim;

/**
 * LARS hyperparameters with Optax's meaning (optax.lars, 0.2.8): lr, weightDecay (added to the gradient before the
 * trust ratio), trustCoefficient, eps (added to the update norm in the trust ratio), momentum (trace decay, applied
 * after the learning rate), nesterov, and trustRatio (Optax's trust_ratio_mask for this group: false skips the
 * trust-ratio scaling). Optax's weight_decay_mask is a parameter group whose override sets weightDecay to 0; both
 * masks default to true (every parameter).
 */
public record LarsHyper(float lr, float weightDecay, float trustCoefficient, float eps, float momentum,
                        boolean nesterov, boolean trustRatio) {
    public LarsHyper {
        Check.nonNegative("LARS", "lr", lr);
        Check.nonNegative("LARS", "weightDecay", weightDecay);
        Check.nonNegative("LARS", "trustCoefficient", trustCoefficient);
        Check.nonNegative("LARS", "eps", eps);
        Check.closed("LARS", "momentum", momentum, 0, 1);
    }

    /** Optax's defaults: weight_decay = 0, trust_coefficient = 0.001, eps = 0, momentum = 0.9, no Nesterov. */
    public static LarsHyper of(float lr) {
        return new LarsHyper(lr, 0f, 0.001f, 0f, 0.9f, false, true);
    }

    public LarsHyper withLr(float v) {
        return new LarsHyper(v, weightDecay, trustCoefficient, eps, momentum, nesterov, trustRatio);
    }

    public LarsHyper withWeightDecay(float v) {
        return new LarsHyper(lr, v, trustCoefficient, eps, momentum, nesterov, trustRatio);
    }

    public LarsHyper withMomentum(float v) {
        return new LarsHyper(lr, weightDecay, trustCoefficient, eps, v, nesterov, trustRatio);
    }

    public LarsHyper withTrustRatio(boolean v) {
        return new LarsHyper(lr, weightDecay, trustCoefficient, eps, momentum, nesterov, v);
    }
}
