package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code ConstantLR}: {@code baseLr * factor} for {@code t < totalIters}, then {@code baseLr}.
 * NOTE: with {@code totalIters = 0} PyTorch's chainable update applies the factor at step 0 and never undoes it
 * (it only divides by the factor when the step equals totalIters, which step 0 already handled), so the value stays
 * at {@code baseLr * factor}; reproduced here.
 *
 * @param baseLr     the value after totalIters steps
 * @param factor     in (0, 1] (PyTorch default 1/3; PyTorch accepts 0 but then divides by it at totalIters)
 * @param totalIters steps at the reduced value, at least 0 (PyTorch default 5)
 */
public record ConstantLr(double baseLr, double factor, long totalIters) implements Schedule {
    public ConstantLr {
        Valid.finite("ConstantLR", "baseLr", baseLr);
        Valid.openClosed("ConstantLR", "factor", factor, 0, 1);
        Valid.atLeast("ConstantLR", "totalIters", totalIters, 0);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        return t >= totalIters && totalIters > 0 ? baseLr : baseLr * factor;
    }
}
