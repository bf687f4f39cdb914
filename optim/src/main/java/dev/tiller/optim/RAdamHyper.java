package dev.tiller.optim;

/**
 * RAdam hyperparameters with PyTorch's meaning (torch.optim.RAdam): lr, betas (beta1, beta2), eps, weightDecay (L2
 * in the gradient, or decoupled as AdamW when decoupledWeightDecay), maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record RAdamHyper(float lr, float beta1, float beta2, float eps, float weightDecay,
                         boolean decoupledWeightDecay, boolean maximize) {
    public RAdamHyper {
        Check.nonNegative("RAdam", "lr", lr);
        Check.halfOpen("RAdam", "beta1", beta1, 0, 1);
        Check.halfOpen("RAdam", "beta2", beta2, 0, 1);
        Check.nonNegative("RAdam", "eps", eps);
        Check.nonNegative("RAdam", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static RAdamHyper defaults() {
        return new RAdamHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
    }

    public RAdamHyper withLr(float v) {
        return new RAdamHyper(v, beta1, beta2, eps, weightDecay, decoupledWeightDecay, maximize);
    }

    public RAdamHyper withWeightDecay(float v) {
        return new RAdamHyper(lr, beta1, beta2, eps, v, decoupledWeightDecay, maximize);
    }

    public RAdamHyper withDecoupledWeightDecay(boolean v) {
        return new RAdamHyper(lr, beta1, beta2, eps, weightDecay, v, maximize);
    }

    public RAdamHyper withMaximize(boolean v) {
        return new RAdamHyper(lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, v);
    }

    public RAdamHyper withBetas(float b1, float b2) {
        return new RAdamHyper(lr, b1, b2, eps, weightDecay, decoupledWeightDecay, maximize);
    }

    public RAdamHyper withEps(float v) {
        return new RAdamHyper(lr, beta1, beta2, v, weightDecay, decoupledWeightDecay, maximize);
    }
}
