package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code LinearLR}: the multiplier moves linearly from {@code startFactor} at step 0 to {@code endFactor}
 * at step {@code totalIters} and stays there:
 * {@code at(t) = baseLr * (s + (e - s) * min(t, T) / T)}.
 * PyTorch computes it recursively, {@code lr_t = lr_{t-1} * (1 + (e - s) / (T s + (t - 1)(e - s)))} for
 * {@code 0 < t <= T}, which telescopes to the closed form. With {@code totalIters = 0} PyTorch never leaves the start
 * value (its recursion only runs for {@code t <= T}), and so does this record.
 *
 * @param baseLr      the optimizer's value
 * @param startFactor in (0, 1] (PyTorch default 1/3)
 * @param endFactor   in [0, 1] (PyTorch default 1)
 * @param totalIters  at least 0 (PyTorch default 5)
 */
public record LinearLr(double baseLr, double startFactor, double endFactor, long totalIters) implements Schedule {
    public LinearLr {
        Valid.finite("LinearLR", "baseLr", baseLr);
        Valid.openClosed("LinearLR", "startFactor", startFactor, 0, 1);
        Valid.closed("LinearLR", "endFactor", endFactor, 0, 1);
        Valid.atLeast("LinearLR", "totalIters", totalIters, 0);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        if (t == 0 || totalIters == 0) {
            return baseLr * startFactor;
        }
        return baseLr * (startFactor + (endFactor - startFactor) * Math.min(totalIters, t) / totalIters);
    }
}
