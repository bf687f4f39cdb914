package dev.tiller.optim.schedule;

import java.util.List;

/**
 * PyTorch's {@code MultiStepLR}: {@code at(t) = baseLr * gamma^k}, k the number of milestones {@code <= t}.
 * A milestone listed twice counts twice (PyTorch keeps them in a Counter and multiplies by gamma^count), so repeats
 * are allowed; a decreasing list is rejected (PyTorch documents "must be increasing" but does not check).
 *
 * @param baseLr     value before the first milestone
 * @param milestones non-negative, non-decreasing steps
 * @param gamma      decay factor in (0, 1] (PyTorch default 0.1)
 */
public record MultiStepLr(double baseLr, List<Long> milestones, double gamma) implements Schedule {
    public MultiStepLr {
        Valid.finite("MultiStepLR", "baseLr", baseLr);
        milestones = List.copyOf(milestones);
        Valid.increasing("MultiStepLR", "milestones", milestones, false);
        Valid.openClosed("MultiStepLR", "gamma", gamma, 0, 1);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        int k = 0;
        for (long m : milestones) {
            if (m <= t) {
                k++;
            }
        }
        return baseLr * StrictMath.pow(gamma, k);
    }
}
