package dev.tiller.optim;

/**
 * Adam hyperparameters with PyTorch's meaning (torch.optim.Adam): lr, betas (beta1, beta2), eps, weightDecay (an L2
 * term added to the gradient unless decoupledWeightDecay, which makes Adam AdamW), amsgrad, maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record AdamHyper(float lr, float beta1, float beta2, float eps, float weightDecay, boolean amsgrad,
                        boolean maximize, boolean decoupledWeightDecay) {
    public AdamHyper {
        Check.nonNegative("Adam", "lr", lr);
        Check.halfOpen("Adam", "beta1", beta1, 0, 1);
        Check.halfOpen("Adam", "beta2", beta2, 0, 1);
        Check.nonNegative("Adam", "eps", eps);
        Check.nonNegative("Adam", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, amsgrad and maximize off. */
    public static AdamHyper defaults() {
        return new AdamHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, false, false);
    }

    public AdamHyper withLr(float v) {
        return new AdamHyper(v, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay);
    }

    public AdamHyper withBetas(float b1, float b2) {
        return new AdamHyper(lr, b1, b2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay);
    }

    public AdamHyper withEps(float v) {
        return new AdamHyper(lr, beta1, beta2, v, weightDecay, amsgrad, maximize, decoupledWeightDecay);
    }

    public AdamHyper withWeightDecay(float v) {
        return new AdamHyper(lr, beta1, beta2, eps, v, amsgrad, maximize, decoupledWeightDecay);
    }

    public AdamHyper withAmsgrad(boolean v) {
        return new AdamHyper(lr, beta1, beta2, eps, weightDecay, v, maximize, decoupledWeightDecay);
    }

    public AdamHyper withMaximize(boolean v) {
        return new AdamHyper(lr, beta1, beta2, eps, weightDecay, amsgrad, v, decoupledWeightDecay);
    }

    public AdamHyper withDecoupledWeightDecay(boolean v) {
        return new AdamHyper(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, v);
    }
}
