package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code StepLR}: the base value decays by {@code gamma} every {@code stepSize} steps,
 * {@code at(t) = baseLr * gamma^floor(t / stepSize)}. PyTorch multiplies the running lr by gamma at each multiple of
 * step_size (its chainable form); the product equals this closed form up to rounding (relative 1e-16 per decay).
 *
 * @param baseLr   the value at step 0 (the optimizer's lr; any hyperparameter works)
 * @param stepSize steps between decays, at least 1
 * @param gamma    decay factor in (0, 1] (PyTorch default 0.1)
 */
public record StepLr(double baseLr, long stepSize, double gamma) implements Schedule {
    public StepLr {
        Valid.finite("StepLR", "baseLr", baseLr);
        Valid.atLeast("StepLR", "stepSize", stepSize, 1);
        Valid.openClosed("StepLR", "gamma", gamma, 0, 1);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        return baseLr * StrictMath.pow(gamma, (double) (t / stepSize));
    }
}
