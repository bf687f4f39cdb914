package dev.tiller.optim;

/**
 * Adadelta hyperparameters with PyTorch's meaning (torch.optim.Adadelta): lr (scales the delta), rho (smoothing of
 * both running averages), eps, weightDecay (L2 in the gradient), maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record AdadeltaHyper(float lr, float rho, float eps, float weightDecay, boolean maximize) {
    public AdadeltaHyper {
        Check.nonNegative("Adadelta", "lr", lr);
        Check.closed("Adadelta", "rho", rho, 0, 1);
        Check.nonNegative("Adadelta", "eps", eps);
        Check.nonNegative("Adadelta", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr 1.0, rho 0.9, eps 1e-6, no weight decay. */
    public static AdadeltaHyper defaults() {
        return new AdadeltaHyper(1f, 0.9f, 1e-6f, 0f, false);
    }

    public AdadeltaHyper withLr(float v) {
        return new AdadeltaHyper(v, rho, eps, weightDecay, maximize);
    }

    public AdadeltaHyper withRho(float v) {
        return new AdadeltaHyper(lr, v, eps, weightDecay, maximize);
    }

    public AdadeltaHyper withWeightDecay(float v) {
        return new AdadeltaHyper(lr, rho, eps, v, maximize);
    }

    public AdadeltaHyper withMaximize(boolean v) {
        return new AdadeltaHyper(lr, rho, eps, weightDecay, v);
    }
}
