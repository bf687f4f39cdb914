package dev.tiller.optim;

/**
 * NovoGrad hyperparameters with Optax's meaning (optax.novograd, 0.2.8): lr, b1 (momentum), b2 (decay of the
 * per-tensor second moment), eps (outside the square root), epsRoot (inside it), weightDecay (added to the
 * normalised gradient inside the momentum).
 */
public record NovoGradHyper(float lr, float b1, float b2, float eps, float epsRoot, float weightDecay) {
    public NovoGradHyper {
        Check.nonNegative("NovoGrad", "lr", lr);
        Check.halfOpen("NovoGrad", "b1", b1, 0, 1);
        Check.halfOpen("NovoGrad", "b2", b2, 0, 1);
        Check.nonNegative("NovoGrad", "eps", eps);
        Check.nonNegative("NovoGrad", "epsRoot", epsRoot);
        Check.nonNegative("NovoGrad", "weightDecay", weightDecay);
    }

    /** Optax's defaults: b1 = 0.9, b2 = 0.25, eps = 1e-6, eps_root = 0, weight_decay = 0. */
    public static NovoGradHyper of(float lr) {
        return new NovoGradHyper(lr, 0.9f, 0.25f, 1e-6f, 0f, 0f);
    }

    public NovoGradHyper withLr(float v) {
        return new NovoGradHyper(v, b1, b2, eps, epsRoot, weightDecay);
    }

    public NovoGradHyper withWeightDecay(float v) {
        return new NovoGradHyper(lr, b1, b2, eps, epsRoot, v);
    }
}
