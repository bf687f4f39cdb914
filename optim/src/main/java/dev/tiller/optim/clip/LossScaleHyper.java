package dev.tiller.optim.clip;

import dev.tiller.optim.Check;

/**
 * Dynamic loss scaling settings, with the meaning and defaults of PyTorch's {@code torch.amp.GradScaler}:
 * initScale 2^16, growthFactor 2.0, backoffFactor 0.5, growthInterval 2000. The scale is float32 and the factors
 * double, as in PyTorch's update kernel ({@code float scale * double factor}, rounded back to float32).
 *
 * @param initScale      the first scale, finite and > 0
 * @param growthFactor   the scale is multiplied by this after growthInterval clean steps in a row, finite and > 1
 * @param backoffFactor  the scale is multiplied by this after a step with non-finite gradients, in (0, 1)
 * @param growthInterval clean steps in a row before the scale grows, >= 1
 */
public record LossScaleHyper(float initScale, double growthFactor, double backoffFactor, int growthInterval) {
    public LossScaleHyper {
        Check.positive("GradScaler", "initScale", initScale);
        if (!Double.isFinite(growthFactor) || !(growthFactor > 1)) {
            throw new IllegalArgumentException("GradScaler: growthFactor = " + growthFactor + " is not allowed;"
                    + " allowed range (1, +inf), finite");
        }
        if (!(backoffFactor > 0 && backoffFactor < 1)) {
            throw new IllegalArgumentException("GradScaler: backoffFactor = " + backoffFactor + " is not allowed;"
                    + " allowed range (0, 1), finite");
        }
        Check.atLeast("GradScaler", "growthInterval", growthInterval, 1);
    }

    /** PyTorch's defaults. */
    public static LossScaleHyper defaults() {
        return new LossScaleHyper(65536f, 2.0, 0.5, 2000);
    }
}
