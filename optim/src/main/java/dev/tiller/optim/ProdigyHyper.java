package dev.tiller.optim;

/**
 * Prodigy hyperparameters with Optax's meaning (optax.contrib.prodigy, 0.2.8): lr (the schedule factor multiplying
 * the estimated step size d; 1 is the base), beta1, beta2 (Optax's betas), beta3 (decay of the d-estimation sums;
 * Optax's None is sqrt(beta2), see {@link #of}), eps (outside the square root, multiplied by d), estimLr0 (d0, the
 * initial under-estimate of d), estimLrCoef (d estimates are multiplied by it), weightDecay (AdamW-style, multiplied
 * by the step size), safeguardWarmup (drop the schedule from the d-estimate's denominator sums), biasCorrection
 * (Adam's factor sqrt(1 - beta2^t) / (1 - beta1^t) in the step size: always on in Optax; the PyTorch reference's
 * use_bias_correction, off by default there).
 */
public record ProdigyHyper(float lr, float beta1, float beta2, float beta3, float eps, float estimLr0,
                           float estimLrCoef, float weightDecay, boolean safeguardWarmup, boolean biasCorrection) {
    public ProdigyHyper {
        Check.nonNegative("Prodigy", "lr", lr);
        Check.halfOpen("Prodigy", "beta1", beta1, 0, 1);
        Check.halfOpen("Prodigy", "beta2", beta2, 0, 1);
        Check.closed("Prodigy", "beta3", beta3, 0, 1);
        Check.nonNegative("Prodigy", "eps", eps);
        Check.positive("Prodigy", "estimLr0", estimLr0);
        Check.positive("Prodigy", "estimLrCoef", estimLrCoef);
        Check.nonNegative("Prodigy", "weightDecay", weightDecay);
    }

    /** With Optax's bias correction (on). */
    public ProdigyHyper(float lr, float beta1, float beta2, float beta3, float eps, float estimLr0, float estimLrCoef,
                        float weightDecay, boolean safeguardWarmup) {
        this(lr, beta1, beta2, beta3, eps, estimLr0, estimLrCoef, weightDecay, safeguardWarmup, true);
    }

    /**
     * Optax's defaults: betas = (0.9, 0.999), beta3 = sqrt(0.999), eps = 1e-8, estim_lr0 = 1e-6,
     * estim_lr_coef = 1, weight_decay = 0, no safeguard, bias correction on.
     */
    public static ProdigyHyper of(float lr) {
        return new ProdigyHyper(lr, 0.9f, 0.999f, (float) Math.sqrt(0.999), 1e-8f, 1e-6f, 1f, 0f, false);
    }

    public ProdigyHyper withLr(float v) {
        return new ProdigyHyper(v, beta1, beta2, beta3, eps, estimLr0, estimLrCoef, weightDecay, safeguardWarmup,
                biasCorrection);
    }

    public ProdigyHyper withWeightDecay(float v) {
        return new ProdigyHyper(lr, beta1, beta2, beta3, eps, estimLr0, estimLrCoef, v, safeguardWarmup,
                biasCorrection);
    }

    public ProdigyHyper withBiasCorrection(boolean v) {
        return new ProdigyHyper(lr, beta1, beta2, beta3, eps, estimLr0, estimLrCoef, weightDecay, safeguardWarmup, v);
    }
}
