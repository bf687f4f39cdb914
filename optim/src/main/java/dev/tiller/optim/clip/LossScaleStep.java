package dev.tiller.optim.clip;

/**
 * What one {@link DynamicLossScaler#step} did.
 *
 * @param scaleUsed    the scale the loss was multiplied by for this step
 * @param scaleAfter   the scale for the next step (after the update rule)
 * @param foundInf     the scaled gradients held a NaN or an infinity
 * @param stepSkipped  the optimizer step was not run (exactly when foundInf)
 * @param skippedSteps skipped steps so far, this one included
 */
public record LossScaleStep(float scaleUsed, float scaleAfter, boolean foundInf, boolean stepSkipped,
                            long skippedSteps) {
}
