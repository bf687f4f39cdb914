package dev.tiller.optim;

/**
 * RMSprop hyperparameters with PyTorch's meaning (torch.optim.RMSprop): lr, alpha (smoothing of the squared
 * gradient), eps, weightDecay (L2 in the gradient), momentum, centered, maximize.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record RMSpropHyper(float lr, float alpha, float eps, float weightDecay, float momentum, boolean centered,
                           boolean maximize) {
    public RMSpropHyper {
        Check.nonNegative("RMSprop", "lr", lr);
        Check.closed("RMSprop", "alpha", alpha, 0, 1);
        Check.nonNegative("RMSprop", "eps", eps);
        Check.nonNegative("RMSprop", "weightDecay", weightDecay);
        Check.halfOpen("RMSprop", "momentum", momentum, 0, 1);
    }

    /** PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered. */
    public static RMSpropHyper defaults() {
        return new RMSpropHyper(1e-2f, 0.99f, 1e-8f, 0f, 0f, false, false);
    }

    public RMSpropHyper withLr(float v) {
        return new RMSpropHyper(v, alpha, eps, weightDecay, momentum, centered, maximize);
    }

    public RMSpropHyper withAlpha(float v) {
        return new RMSpropHyper(lr, v, eps, weightDecay, momentum, centered, maximize);
    }

    public RMSpropHyper withWeightDecay(float v) {
        return new RMSpropHyper(lr, alpha, eps, v, momentum, centered, maximize);
    }

    public RMSpropHyper withMomentum(float v) {
        return new RMSpropHyper(lr, alpha, eps, weightDecay, v, centered, maximize);
    }

    public RMSpropHyper withCentered(boolean v) {
        return new RMSpropHyper(lr, alpha, eps, weightDecay, momentum, v, maximize);
    }

    public RMSpropHyper withMaximize(boolean v) {
        return new RMSpropHyper(lr, alpha, eps, weightDecay, momentum, centered, v);
    }
}
