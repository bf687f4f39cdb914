package dev.tiller.optim;

/**
 * Adafactor hyperparameters with PyTorch's meaning (torch.optim.Adafactor, PyTorch 2.11): lr (the cap on the
 * relative step size rho_t and the decoupled weight-decay rate), beta2Decay (tau in beta2_t = 1 - t^tau, <= 0),
 * eps1 (floor of the variance estimate's scale and of sqrt(V); PyTorch's None, the float32 machine epsilon, is
 * {@link #EPS1_DEFAULT}), eps2 (floor of RMS(param) in the step size), d (update-RMS clipping threshold, >= 1),
 * weightDecay, maximize. PyTorch's foreach flag only picks an implementation and has no field here.
 * Immutable and validated: a controller returns a new record to change one.
 */
public record AdafactorHyper(float lr, float beta2Decay, float eps1, float eps2, float d, float weightDecay,
                             boolean maximize) {
    /** PyTorch's eps1 = None: torch.finfo(float32).eps = 2^-23. */
    public static final float EPS1_DEFAULT = Math.ulp(1f);

    public AdafactorHyper {
        Check.nonNegative("Adafactor", "lr", lr);
        if (!Float.isFinite(beta2Decay) || beta2Decay > 0f) {
            throw new IllegalArgumentException("Adafactor: beta2Decay = " + beta2Decay
                    + " is not allowed; allowed range (-inf, 0], finite");
        }
        Check.nonNegative("Adafactor", "eps1", eps1);
        Check.nonNegative("Adafactor", "eps2", eps2);
        Check.closed("Adafactor", "d", d, 1, Double.POSITIVE_INFINITY);
        Check.nonNegative("Adafactor", "weightDecay", weightDecay);
    }

    /** PyTorch's defaults: lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False. */
    public static AdafactorHyper defaults() {
        return new AdafactorHyper(1e-2f, -0.8f, EPS1_DEFAULT, 1e-3f, 1f, 0f, false);
    }

    public AdafactorHyper withLr(float v) {
        return new AdafactorHyper(v, beta2Decay, eps1, eps2, d, weightDecay, maximize);
    }

    public AdafactorHyper withBeta2Decay(float v) {
        return new AdafactorHyper(lr, v, eps1, eps2, d, weightDecay, maximize);
    }

    public AdafactorHyper withEps(float e1, float e2) {
        return new AdafactorHyper(lr, beta2Decay, e1, e2, d, weightDecay, maximize);
    }

    public AdafactorHyper withD(float v) {
        return new AdafactorHyper(lr, beta2Decay, eps1, eps2, v, weightDecay, maximize);
    }

    public AdafactorHyper withWeightDecay(float v) {
        return new AdafactorHyper(lr, beta2Decay, eps1, eps2, d, v, maximize);
    }

    public AdafactorHyper withMaximize(boolean v) {
        return new AdafactorHyper(lr, beta2Decay, eps1, eps2, d, weightDecay, v);
    }
}
