package dev.tiller.optim.schedule;

/**
 * Optax's {@code polynomial_schedule} (0.2.8), in float32 as Optax computes it:
 * {@code c = clip(t - transitionBegin, 0, T)}, {@code at(t) = (init - end) (1 - c / T)^power + end}.
 * Optax's own edge cases are kept: {@code T <= 0} gives the constant init value, and a negative transitionBegin
 * falls back to 0. {@code linear_schedule} and {@code warmup_constant_schedule} are this with power 1
 * ({@link #linear}).
 *
 * @param initValue       value before and at transitionBegin
 * @param endValue        value from transitionBegin + T on
 * @param power           exponent (an integral value uses JAX's integer_pow)
 * @param transitionSteps T
 * @param transitionBegin steps held at initValue (default 0)
 */
public record PolynomialSchedule(double initValue, double endValue, double power, long transitionSteps,
                                 long transitionBegin) implements Schedule {
    public PolynomialSchedule {
        Valid.finite("polynomial_schedule", "initValue", initValue);
        Valid.finite("polynomial_schedule", "endValue", endValue);
        Valid.finite("polynomial_schedule", "power", power);
        transitionBegin = Math.max(0, transitionBegin);
    }

    /** Optax's {@code linear_schedule(init, end, transition_steps, transition_begin)}. */
    public static PolynomialSchedule linear(double initValue, double endValue, long transitionSteps,
                                            long transitionBegin) {
        return new PolynomialSchedule(initValue, endValue, 1, transitionSteps, transitionBegin);
    }

    /** Optax's {@code warmup_constant_schedule(init, peak, warmup_steps)}: linear from init to peak, then peak. */
    public static PolynomialSchedule warmupConstant(double initValue, double peakValue, long warmupSteps) {
        return linear(initValue, peakValue, warmupSteps, 0);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        if (transitionSteps <= 0) {
            return (float) initValue;
        }
        long c = Math.clamp(t - transitionBegin, 0, transitionSteps);
        float frac = 1f - (float) c / (float) transitionSteps;
        // (init - end) is a Python-float difference, rounded to float32 when it meets the float32 array.
        return (float) (initValue - endValue) * F32.pow(frac, power) + (float) endValue;
    }
}
