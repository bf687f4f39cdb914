package dev.tiller.optim;

/**
 * AdaBelief hyperparameters with Optax's meaning (optax.adabelief, 0.2.8): lr, b1, b2, eps (outside the square
 * root), epsRoot (added to the belief moment s in the state every step), nesterov.
 */
public record AdaBeliefHyper(float lr, float b1, float b2, float eps, float epsRoot, boolean nesterov) {
    public AdaBeliefHyper {
        Check.nonNegative("AdaBelief", "lr", lr);
        Check.halfOpen("AdaBelief", "b1", b1, 0, 1);
        Check.halfOpen("AdaBelief", "b2", b2, 0, 1);
        Check.nonNegative("AdaBelief", "eps", eps);
        Check.nonNegative("AdaBelief", "epsRoot", epsRoot);
    }

    /** Optax's defaults: b1 = 0.9, b2 = 0.999, eps = 1e-16, eps_root = 1e-16, no Nesterov. */
    public static AdaBeliefHyper of(float lr) {
        return new AdaBeliefHyper(lr, 0.9f, 0.999f, 1e-16f, 1e-16f, false);
    }

    public AdaBeliefHyper withLr(float v) {
        return new AdaBeliefHyper(v, b1, b2, eps, epsRoot, nesterov);
    }
}
