package dev.tiller.optim;

/**
 * AdamW-HD hyperparameters: AdamW's (lr, betas, eps, decoupled weightDecay) plus hypergradLr, the step size beta of
 * the learning rate's own gradient descent (Baydin et al. 2018). Immutable and validated: a schedule or a controller
 * changes one by passing a new record between steps.
 */
public record AdamWHdHyper(float lr, float beta1, float beta2, float eps, float weightDecay, float hypergradLr) {
    /** The reference implementation's hypergrad_lr default (gbaydin/hypergradient-descent, hypergrad/adam_hd.py). */
    public static final float DEFAULT_HYPERGRAD_LR = 1e-8f;

    public AdamWHdHyper {
        Check.nonNegative("AdamWHd", "lr", lr);
        Check.halfOpen("AdamWHd", "beta1", beta1, 0, 1);
        Check.halfOpen("AdamWHd", "beta2", beta2, 0, 1);
        Check.nonNegative("AdamWHd", "eps", eps);
        Check.nonNegative("AdamWHd", "weightDecay", weightDecay);
        Check.nonNegative("AdamWHd", "hypergradLr", hypergradLr);
    }

    /** AdamW's PyTorch defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2) and hypergradLr 1e-8. */
    public static AdamWHdHyper defaults() {
        return of(AdamWHyper.defaults(), DEFAULT_HYPERGRAD_LR);
    }

    /**
     * The AdamW record's lr, betas, eps and weight decay with hypergradLr.
     *
     * @throws IllegalArgumentException when h asks for amsgrad or maximize, which AdamW-HD does not have
     */
    public static AdamWHdHyper of(AdamWHyper h, float hypergradLr) {
        if (h.amsgrad() || h.maximize()) {
            throw new IllegalArgumentException("AdamWHd: amsgrad and maximize are not supported, got " + h);
        }
        return new AdamWHdHyper(h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), hypergradLr);
    }

    /** The AdamW record with the same lr, betas, eps and weight decay. */
    public AdamWHyper asAdamW() {
        return new AdamWHyper(lr, beta1, beta2, eps, weightDecay, false, false);
    }

    public AdamWHdHyper withLr(float v) {
        return new AdamWHdHyper(v, beta1, beta2, eps, weightDecay, hypergradLr);
    }

    public AdamWHdHyper withBetas(float b1, float b2) {
        return new AdamWHdHyper(lr, b1, b2, eps, weightDecay, hypergradLr);
    }

    public AdamWHdHyper withEps(float v) {
        return new AdamWHdHyper(lr, beta1, beta2, v, weightDecay, hypergradLr);
    }

    public AdamWHdHyper withWeightDecay(float v) {
        return new AdamWHdHyper(lr, beta1, beta2, eps, v, hypergradLr);
    }

    public AdamWHdHyper withHypergradLr(float v) {
        return new AdamWHdHyper(lr, beta1, beta2, eps, weightDecay, v);
    }
}
