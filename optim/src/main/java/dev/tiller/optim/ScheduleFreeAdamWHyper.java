package dev.tiller.optim;

/**
 * Schedule-Free AdamW hyperparameters with Optax's meaning (optax.contrib.schedule_free_adamw, 0.2.8): lr (the peak
 * learning rate), warmupSteps (linear warm-up from 0 over this many steps; 0 means none, Optax's None), b1 (the
 * interpolation y = b1 x + (1 - b1) z; must be > 0), b2, eps (outside the square root), weightDecay (added to the
 * base update before the learning rate), weightLrPower (the averaging weight is max_lr^weightLrPower).
 */
public record ScheduleFreeAdamWHyper(float lr, int warmupSteps, float b1, float b2, float eps, float weightDecay,
                                     float weightLrPower) {
    public ScheduleFreeAdamWHyper {
        Check.nonNegative("ScheduleFreeAdamW", "lr", lr);
        Check.atLeast("ScheduleFreeAdamW", "warmupSteps", warmupSteps, 0);
        // NOTE: b1 = 0 would divide by zero when x is recovered from y and z (Optax warns the same).
        if (!(b1 > 0f && b1 <= 1f)) {
            throw new IllegalArgumentException("ScheduleFreeAdamW: b1 = " + b1
                    + " is not allowed; allowed range (0, 1], finite");
        }
        Check.halfOpen("ScheduleFreeAdamW", "b2", b2, 0, 1);
        Check.nonNegative("ScheduleFreeAdamW", "eps", eps);
        Check.nonNegative("ScheduleFreeAdamW", "weightDecay", weightDecay);
        Check.nonNegative("ScheduleFreeAdamW", "weightLrPower", weightLrPower);
    }

    /** Optax's defaults: no warm-up, b1 = 0.9, b2 = 0.999, eps = 1e-8, weight_decay = 0, weight_lr_power = 2. */
    public static ScheduleFreeAdamWHyper of(float lr) {
        return new ScheduleFreeAdamWHyper(lr, 0, 0.9f, 0.999f, 1e-8f, 0f, 2f);
    }

    public ScheduleFreeAdamWHyper withLr(float v) {
        return new ScheduleFreeAdamWHyper(v, warmupSteps, b1, b2, eps, weightDecay, weightLrPower);
    }

    public ScheduleFreeAdamWHyper withWarmupSteps(int v) {
        return new ScheduleFreeAdamWHyper(lr, v, b1, b2, eps, weightDecay, weightLrPower);
    }

    public ScheduleFreeAdamWHyper withWeightDecay(float v) {
        return new ScheduleFreeAdamWHyper(lr, warmupSteps, b1, b2, eps, v, weightLrPower);
    }
}
