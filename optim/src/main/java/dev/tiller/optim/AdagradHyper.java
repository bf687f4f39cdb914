package dev.tiller.optim;

/**
 * Adagrad hyperparameters with PyTorch's meaning (torch.optim.Adagrad): lr, lrDecay, weightDecay (L2 in the
 * gradient), eps, maximize. The initial accumulator value is a constructor argument of Adagrad (it sets state).
 * Immutable and validated: a controller returns a new record to change one.
 */
public record AdagradHyper(float lr, float lrDecay, float weightDecay, float eps, boolean maximize) {
    public AdagradHyper {
        Check.nonNegative("Adagrad", "lr", lr);
        Check.nonNegative("Adagrad", "lrDecay", lrDecay);
        Check.nonNegative("Adagrad", "weightDecay", weightDecay);
        Check.nonNegative("Adagrad", "eps", eps);
    }

    /** PyTorch's defaults: lr 1e-2, no lr decay, no weight decay, eps 1e-10. */
    public static AdagradHyper defaults() {
        return new AdagradHyper(1e-2f, 0f, 0f, 1e-10f, false);
    }

    public AdagradHyper withLr(float v) {
        return new AdagradHyper(v, lrDecay, weightDecay, eps, maximize);
    }

    public AdagradHyper withLrDecay(float v) {
        return new AdagradHyper(lr, v, weightDecay, eps, maximize);
    }

    public AdagradHyper withWeightDecay(float v) {
        return new AdagradHyper(lr, lrDecay, v, eps, maximize);
    }

    public AdagradHyper withMaximize(boolean v) {
        return new AdagradHyper(lr, lrDecay, weightDecay, eps, v);
    }
}
