package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code PolynomialLR}: {@code at(t) = baseLr * (1 - min(t, T) / T)^power}, reaching 0 at T.
 * PyTorch's recursive factor {@code ((1 - t/T) / (1 - (t-1)/T))^power} telescopes to this. With {@code T = 0}
 * PyTorch keeps the base value (its recursion only runs for {@code t <= T}), and so does this record.
 *
 * @param baseLr     value at step 0
 * @param totalIters T, at least 0 (PyTorch default 5)
 * @param power      exponent, finite (PyTorch default 1)
 */
public record PolynomialLr(double baseLr, long totalIters, double power) implements Schedule {
    public PolynomialLr {
        Valid.finite("PolynomialLR", "baseLr", baseLr);
        Valid.atLeast("PolynomialLR", "totalIters", totalIters, 0);
        Valid.nonNegative("PolynomialLR", "power", power);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        if (totalIters == 0) {
            return baseLr;
        }
        return baseLr * StrictMath.pow(1.0 - (double) Math.min(totalIters, t) / totalIters, power);
    }
}
