package dev.tiller.optim;

/**
 * Adan hyperparameters with Optax's meaning (optax.adan, 0.2.8): lr, b1 (gradient EMA), b2 (gradient-difference
 * EMA), b3 (squared-term EMA), eps (outside the square root), epsRoot (inside it), weightDecay (added to the
 * direction, multiplied by lr). Optax's decay rates weight the new term with (1 - b): m = b1 m + (1 - b1) g.
 * Optax's weight-decay mask is a parameter group whose override sets weightDecay to 0.
 */
public record AdanHyper(float lr, float b1, float b2, float b3, float eps, float epsRoot, float weightDecay) {
    public AdanHyper {
        Check.nonNegative("Adan", "lr", lr);
        Check.halfOpen("Adan", "b1", b1, 0, 1);
        Check.halfOpen("Adan", "b2", b2, 0, 1);
        Check.halfOpen("Adan", "b3", b3, 0, 1);
        Check.nonNegative("Adan", "eps", eps);
        Check.nonNegative("Adan", "epsRoot", epsRoot);
        Check.nonNegative("Adan", "weightDecay", weightDecay);
    }

    /** Optax's defaults: b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, eps_root = 1e-8, weight_decay = 0. */
    public static AdanHyper of(float lr) {
        return new AdanHyper(lr, 0.98f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0f);
    }

    public AdanHyper withLr(float v) {
        return new AdanHyper(v, b1, b2, b3, eps, epsRoot, weightDecay);
    }

    public AdanHyper withWeightDecay(float v) {
        return new AdanHyper(lr, b1, b2, b3, eps, epsRoot, v);
    }
}
