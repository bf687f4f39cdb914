package dev.tiller.optim;

/**
 * SGD hyperparameters with PyTorch's meaning (torch.optim.SGD): lr, momentum, dampening, weightDecay (L2, added to
 * the gradient), nesterov, maximize. Immutable and validated: a controller returns a new record to change one.
 */
public record SgdHyper(float lr, float momentum, float dampening, float weightDecay, boolean nesterov,
                       boolean maximize) {
    public SgdHyper {
        Check.nonNegative("SGD", "lr", lr);
        Check.halfOpen("SGD", "momentum", momentum, 0, 1);
        Check.closed("SGD", "dampening", dampening, 0, 1);
        Check.nonNegative("SGD", "weightDecay", weightDecay);
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw new IllegalArgumentException("SGD: nesterov = true needs momentum > 0 and dampening = 0, got"
                    + " momentum = " + momentum + ", dampening = " + dampening);
        }
    }

    /** Plain SGD with learning rate lr. */
    public static SgdHyper of(float lr) {
        return new SgdHyper(lr, 0f, 0f, 0f, false, false);
    }

    public SgdHyper withLr(float v) {
        return new SgdHyper(v, momentum, dampening, weightDecay, nesterov, maximize);
    }

    public SgdHyper withMomentum(float v) {
        return new SgdHyper(lr, v, dampening, weightDecay, nesterov, maximize);
    }

    public SgdHyper withWeightDecay(float v) {
        return new SgdHyper(lr, momentum, dampening, v, nesterov, maximize);
    }
}
