package dev.tiller.optim;

/**
 * AdamW hyperparameters with PyTorch's meaning (torch.optim.AdamW): lr, betas (beta1, beta2), eps, weightDecay
 * (decoupled: p is multiplied by 1 - lr * weightDecay before the Adam step), amsgrad, maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, boolean amsgrad,
                         boolean maximize) {
    public AdamWHyper {
        Check.nonNegative("AdamW", "lr", lr);
        Check.halfOpen("AdamW", "beta1", beta1, 0, 1);
        Check.halfOpen("AdamW", "beta2", beta2, 0, 1);
        Check.nonNegative("AdamW", "eps", eps);
        Check.nonNegative("AdamW", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2, amsgrad and maximize off. */
    public static AdamWHyper defaults() {
        return new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, false, false);
    }

    /** The same hyperparameters as Adam's record: AdamW is Adam with decoupled weight decay. */
    public AdamHyper asAdam() {
        boolean decoupledWeightDecay = true;
        return new AdamHyper(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay);
    }

    public AdamWHyper withLr(float v) {
        return new AdamWHyper(v, beta1, beta2, eps, weightDecay, amsgrad, maximize);
    }

    public AdamWHyper withBetas(float b1, float b2) {
        return new AdamWHyper(lr, b1, b2, eps, weightDecay, amsgrad, maximize);
    }

    public AdamWHyper withEps(float v) {
        return new AdamWHyper(lr, beta1, beta2, v, weightDecay, amsgrad, maximize);
    }

    public AdamWHyper withWeightDecay(float v) {
        return new AdamWHyper(lr, beta1, beta2, eps, v, amsgrad, maximize);
    }

    public AdamWHyper withAmsgrad(boolean v) {
        return new AdamWHyper(lr, beta1, beta2, eps, weightDecay, v, maximize);
    }

    public AdamWHyper withMaximize(boolean v) {
        return new AdamWHyper(lr, beta1, beta2, eps, weightDecay, amsgrad, v);
    }
}
