package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code ExponentialLR}: {@code at(t) = baseLr * gamma^t}. Gamma above 1 is allowed (a growing schedule,
 * as in a learning-rate range test).
 *
 * @param baseLr value at step 0
 * @param gamma  per-step factor, positive and finite
 */
public record ExponentialLr(double baseLr, double gamma) implements Schedule {
    public ExponentialLr {
        Valid.finite("ExponentialLR", "baseLr", baseLr);
        Valid.positive("ExponentialLR", "gamma", gamma);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        return baseLr * StrictMath.pow(gamma, (double) t);
    }
}
