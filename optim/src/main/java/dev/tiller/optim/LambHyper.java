package dev.tiller.optim;

/**
 * LAMB hyperparameters with Optax's meaning (optax.lamb, 0.2.8): lr, b1, b2, eps (outside the square root), epsRoot
 * (inside it), weightDecay (added to the Adam direction before the trust ratio). Optax's weight-decay mask is a
 * parameter group whose override sets weightDecay to 0.
 */
public record LambHyper(float lr, float b1, float b2, float eps, float epsRoot, float weightDecay) {
    public LambHyper {
        Check.nonNegative("LAMB", "lr", lr);
        Check.halfOpen("LAMB", "b1", b1, 0, 1);
        Check.halfOpen("LAMB", "b2", b2, 0, 1);
        Check.nonNegative("LAMB", "eps", eps);
        Check.nonNegative("LAMB", "epsRoot", epsRoot);
        Check.nonNegative("LAMB", "weightDecay", weightDecay);
    }

    /** Optax's defaults: b1 = 0.9, b2 = 0.999, eps = 1e-6, eps_root = 0, weight_decay = 0. */
    public static LambHyper of(float lr) {
        return new LambHyper(lr, 0.9f, 0.999f, 1e-6f, 0f, 0f);
    }

    public LambHyper withLr(float v) {
        return new LambHyper(v, b1, b2, eps, epsRoot, weightDecay);
    }

    public LambHyper withWeightDecay(float v) {
        return new LambHyper(lr, b1, b2, eps, epsRoot, v);
    }
}
