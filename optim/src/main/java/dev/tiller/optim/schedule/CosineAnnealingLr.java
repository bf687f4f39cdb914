package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code CosineAnnealingLR} (Loshchilov and Hutter, SGDR, 2017, without restarts):
 * {@code at(t) = eta_min + (baseLr - eta_min) (1 + cos(pi t / T_max)) / 2}, for every t, so past T_max it rises
 * again with period 2 T_max, as PyTorch's does.
 *
 * <p>NOTE: PyTorch updates recursively, {@code eta_t = eta_min + (eta_{t-1} - eta_min) (1 + cos(pi t/T)) /
 * (1 + cos(pi (t-1)/T))}, and where the denominator vanishes ({@code (t - 1 - T) mod 2T = 0}) adds
 * {@code (base - eta_min)(1 - cos(pi/T))/2} instead. Without outside changes to the lr that recursion telescopes to
 * this closed form exactly (it passes through eta_min at T_max and restarts the product there); the two differ only
 * by rounding, about 1e-15 relative (CosineScheduleTest replays the recursion to check). Where PyTorch's result
 * differs from the closed form is when another scheduler changes the lr between steps (ChainedScheduler); express
 * that here as an explicit {@link Product} or {@link Sequence} instead.
 *
 * @param baseLr value at step 0 (eta_max)
 * @param tMax   half period T_max, at least 1
 * @param etaMin value at T_max, finite (PyTorch default 0)
 */
public record CosineAnnealingLr(double baseLr, long tMax, double etaMin) implements Schedule {
    public CosineAnnealingLr {
        Valid.finite("CosineAnnealingLR", "baseLr", baseLr);
        Valid.atLeast("CosineAnnealingLR", "tMax", tMax, 1);
        Valid.finite("CosineAnnealingLR", "etaMin", etaMin);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        return etaMin + (baseLr - etaMin) * (1 + StrictMath.cos(Math.PI * t / tMax)) / 2;
    }
}
