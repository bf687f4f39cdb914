package dev.tiller.optim;

/**
 * Adamax hyperparameters with PyTorch's meaning (torch.optim.Adamax): lr, betas (beta1, beta2), eps, weightDecay
 * (L2 in the gradient), maximize. Immutable and validated: a controller returns a new record to change one.
 */
public record AdamaxHyper(float lr, float beta1, float beta2, float eps, float weightDecay, boolean maximize) {
    public AdamaxHyper {
        Check.nonNegative("Adamax", "lr", lr);
        Check.halfOpen("Adamax", "beta1", beta1, 0, 1);
        Check.halfOpen("Adamax", "beta2", beta2, 0, 1);
        Check.nonNegative("Adamax", "eps", eps);
        Check.nonNegative("Adamax", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static AdamaxHyper defaults() {
        return new AdamaxHyper(2e-3f, 0.9f, 0.999f, 1e-8f, 0f, false);
    }

    public AdamaxHyper withLr(float v) {
        return new AdamaxHyper(v, beta1, beta2, eps, weightDecay, maximize);
    }

    public AdamaxHyper withWeightDecay(float v) {
        return new AdamaxHyper(lr, beta1, beta2, eps, v, maximize);
    }

    public AdamaxHyper withMaximize(boolean v) {
        return new AdamaxHyper(lr, beta1, beta2, eps, weightDecay, v);
    }

    public AdamaxHyper withBetas(float b1, float b2) {
        return new AdamaxHyper(lr, b1, b2, eps, weightDecay, maximize);
    }

    public AdamaxHyper withEps(float v) {
        return new AdamaxHyper(lr, beta1, beta2, v, weightDecay, maximize);
    }
}
