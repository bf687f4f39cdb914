package dev.tiller.optim.schedule;

import java.util.List;

/**
 * Optax's {@code cosine_decay_schedule} (0.2.8), in float32: with {@code c = min(t, T)},
 * {@code at(t) = init ((1 - alpha) (0.5 (1 + cos(pi c / T)))^exponent + alpha)}, so it ends at {@code alpha init}.
 *
 * @param initValue  value at step 0
 * @param decaySteps T, at least 1 (Optax raises otherwise)
 * @param alpha      final multiplier (default 0)
 * @param exponent   shape exponent (default 1)
 */
public record CosineDecaySchedule(double initValue, long decaySteps, double alpha, double exponent)
        implements Schedule {
    public CosineDecaySchedule {
        Valid.finite("cosine_decay_schedule", "initValue", initValue);
        Valid.atLeast("cosine_decay_schedule", "decaySteps", decaySteps, 1);
        Valid.finite("cosine_decay_schedule", "alpha", alpha);
        Valid.finite("cosine_decay_schedule", "exponent", exponent);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        float c = (float) Math.min(t, decaySteps);
        float cosineDecay = 0.5f * (1f + F32.cos(F32.PI * c / (float) decaySteps));
        float decayed = (float) (1 - alpha) * F32.pow(cosineDecay, exponent) + (float) alpha;
        return (float) initValue * decayed;
    }

    /**
     * Optax's {@code warmup_cosine_decay_schedule}: linear from init to peak over warmupSteps, then cosine from peak
     * to endValue over {@code decaySteps - warmupSteps} (decaySteps includes the warm-up).
     */
    public static Schedule warmupCosine(double initValue, double peakValue, long warmupSteps, long decaySteps,
                                        double endValue, double exponent) {
        Valid.atLeast("warmup_cosine_decay_schedule", "warmupSteps", warmupSteps, 0);
        if (decaySteps - warmupSteps < 1) {
            throw new IllegalArgumentException("warmup_cosine_decay_schedule: decaySteps = " + decaySteps
                    + " must exceed warmupSteps = " + warmupSteps + " (decaySteps includes the warm-up)");
        }
        double alpha = peakValue == 0.0 ? 0.0 : endValue / peakValue;
        return Schedule.sequence(List.of(PolynomialSchedule.linear(initValue, peakValue, warmupSteps, 0),
                new CosineDecaySchedule(peakValue, decaySteps - warmupSteps, alpha, exponent)), warmupSteps);
    }
}
