package dev.tiller.optim;

/**
 * Yogi hyperparameters with Optax's meaning (optax.yogi / scale_by_yogi, 0.2.8): lr, b1, b2, eps (outside the
 * square root), epsRoot (inside it; optax.yogi keeps scale_by_yogi's 0). The moments' start value
 * (initial_accumulator_value, 1e-6) is a constructor argument of {@link Yogi}, since it only matters at step 0.
 */
public record YogiHyper(float lr, float b1, float b2, float eps, float epsRoot) {
    public YogiHyper {
        Check.nonNegative("Yogi", "lr", lr);
        Check.halfOpen("Yogi", "b1", b1, 0, 1);
        Check.halfOpen("Yogi", "b2", b2, 0, 1);
        Check.nonNegative("Yogi", "eps", eps);
        Check.nonNegative("Yogi", "epsRoot", epsRoot);
    }

    /** Optax's defaults: b1 = 0.9, b2 = 0.999, eps = 1e-3, eps_root = 0. */
    public static YogiHyper of(float lr) {
        return new YogiHyper(lr, 0.9f, 0.999f, 1e-3f, 0f);
    }

    public YogiHyper withLr(float v) {
        return new YogiHyper(v, b1, b2, eps, epsRoot);
    }
}
