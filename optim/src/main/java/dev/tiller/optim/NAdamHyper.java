package dev.tiller.optim;

/**
 * NAdam hyperparameters with PyTorch's meaning (torch.optim.NAdam): lr, betas (beta1, beta2), eps, weightDecay (L2
 * in the gradient, or decoupled as AdamW when decoupledWeightDecay), momentumDecay (psi in mu_t), maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record NAdamHyper(float lr, float beta1, float beta2, float eps, float weightDecay, float momentumDecay,
                         boolean decoupledWeightDecay, boolean maximize) {
    public NAdamHyper {
        Check.nonNegative("NAdam", "lr", lr);
        Check.halfOpen("NAdam", "beta1", beta1, 0, 1);
        Check.halfOpen("NAdam", "beta2", beta2, 0, 1);
        Check.nonNegative("NAdam", "eps", eps);
        Check.nonNegative("NAdam", "weightDecay", weightDecay);
        Check.nonNegative("NAdam", "momentumDecay", momentumDecay);
    }

    /** PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, momentum decay 4e-3. */
    public static NAdamHyper defaults() {
        return new NAdamHyper(2e-3f, 0.9f, 0.999f, 1e-8f, 0f, 4e-3f, false, false);
    }

    public NAdamHyper withLr(float v) {
        return new NAdamHyper(v, beta1, beta2, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize);
    }

    public NAdamHyper withWeightDecay(float v) {
        return new NAdamHyper(lr, beta1, beta2, eps, v, momentumDecay, decoupledWeightDecay, maximize);
    }

    public NAdamHyper withMomentumDecay(float v) {
        return new NAdamHyper(lr, beta1, beta2, eps, weightDecay, v, decoupledWeightDecay, maximize);
    }

    public NAdamHyper withDecoupledWeightDecay(boolean v) {
        return new NAdamHyper(lr, beta1, beta2, eps, weightDecay, momentumDecay, v, maximize);
    }

    public NAdamHyper withMaximize(boolean v) {
        return new NAdamHyper(lr, beta1, beta2, eps, weightDecay, momentumDecay, decoupledWeightDecay, v);
    }

    public NAdamHyper withBetas(float b1, float b2) {
        return new NAdamHyper(lr, b1, b2, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize);
    }

    public NAdamHyper withEps(float v) {
        return new NAdamHyper(lr, beta1, beta2, v, weightDecay, momentumDecay, decoupledWeightDecay, maximize);
    }
}
