package dev.tiller.optim.schedule;

/**
 * Optax's {@code exponential_decay} (0.2.8), in float32: with {@code d = t - transitionBegin} and
 * {@code p = d / T} (floored when staircase), {@code at(t) = init} for {@code d <= 0}, else
 * {@code init rate^p}, then clipped at endValue (a floor when rate < 1, a ceiling otherwise) when one is given.
 * Optax's edge cases are kept: {@code T <= 0} or {@code rate == 0} give the constant init value, and a negative
 * transitionBegin falls back to 0.
 *
 * @param initValue       value up to transitionBegin
 * @param transitionSteps T
 * @param decayRate       rate per T steps
 * @param transitionBegin steps held at initValue (default 0)
 * @param staircase       decay in whole multiples of T (default false)
 * @param endValue        bound, or null for none (default)
 */
public record ExponentialDecay(double initValue, long transitionSteps, double decayRate, long transitionBegin,
                               boolean staircase, Double endValue) implements Schedule {
    public ExponentialDecay {
        Valid.finite("exponential_decay", "initValue", initValue);
        Valid.finite("exponential_decay", "decayRate", decayRate);
        if (endValue != null) {
            Valid.finite("exponential_decay", "endValue", endValue);
        }
        transitionBegin = Math.max(0, transitionBegin);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        if (transitionSteps <= 0 || decayRate == 0) {
            return (float) initValue;
        }
        long d = t - transitionBegin;
        // NOTE: with a Python int step, d / T is a Python (double) division; jnp.floor then works on its float32.
        double p = (double) d / transitionSteps;
        float pf = staircase ? (float) Math.floor((float) p) : (float) p;
        float v = d <= 0 ? (float) initValue : (float) initValue * (float) StrictMath.pow((float) decayRate, pf);
        if (endValue != null) {
            float e = (float) endValue.doubleValue();
            v = decayRate < 1.0 ? Math.max(v, e) : Math.min(v, e);
        }
        return v;
    }
}
