package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code CyclicLR} (Smith, Cyclical Learning Rates for Training Neural Networks, 2017): the lr moves
 * linearly between baseLr and maxLr, up in stepSizeUp steps and down in stepSizeDown steps. With
 * {@code L = up + down}, {@code cycle = floor(1 + t / L)}, {@code x = 1 + t / L - cycle} and
 * {@code s = x / r} if {@code x <= r = up / L}, else {@code (x - 1) / (r - 1)}:
 * {@code lr = baseLr + (maxLr - baseLr) s f}, {@code momentum = maxMomentum - (maxMomentum - baseMomentum) s f},
 * where the amplitude scale f is 1 (triangular), {@code 1 / 2^(cycle - 1)} (triangular2) or {@code gamma^t}
 * (exp_range). The optimizer's own lr is replaced by baseLr.
 *
 * @param baseLr        lower lr bound
 * @param maxLr         upper lr bound
 * @param stepSizeUp    steps rising, at least 1 (PyTorch default 2000)
 * @param stepSizeDown  steps falling, at least 1 (PyTorch default: stepSizeUp)
 * @param mode          amplitude policy (default TRIANGULAR)
 * @param gamma         exp_range base, in (0, 1] (default 1)
 * @param cycleMomentum whether {@link #momentum()} cycles (default true)
 * @param baseMomentum  momentum at the lr peak (default 0.8)
 * @param maxMomentum   momentum at the lr floor (default 0.9)
 */
public record CyclicLr(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown, Mode mode, double gamma,
                       boolean cycleMomentum, double baseMomentum, double maxMomentum) implements Schedule {
    /** PyTorch's mode. */
    public enum Mode { TRIANGULAR, TRIANGULAR2, EXP_RANGE }

    public CyclicLr {
        Valid.finite("CyclicLR", "baseLr", baseLr);
        Valid.finite("CyclicLR", "maxLr", maxLr);
        Valid.atLeast("CyclicLR", "stepSizeUp", stepSizeUp, 1);
        Valid.atLeast("CyclicLR", "stepSizeDown", stepSizeDown, 1);
        if (mode == null) {
            throw new IllegalArgumentException("CyclicLR: mode must be TRIANGULAR, TRIANGULAR2 or EXP_RANGE, got null");
        }
        Valid.openClosed("CyclicLR", "gamma", gamma, 0, 1);
        Valid.finite("CyclicLR", "baseMomentum", baseMomentum);
        Valid.finite("CyclicLR", "maxMomentum", maxMomentum);
    }

    /** PyTorch's defaults for the rest: down = up, triangular, gamma 1, momentum cycled 0.8..0.9. */
    public static CyclicLr of(double baseLr, double maxLr, long stepSizeUp) {
        return new CyclicLr(baseLr, maxLr, stepSizeUp, stepSizeUp, Mode.TRIANGULAR, 1.0, true, 0.8, 0.9);
    }

    @Override
    public double at(long t) {
        return baseLr + (maxLr - baseLr) * position(t) * amplitude(t);
    }

    /** The cycled momentum (or beta1), inverse to the lr; only when {@code cycleMomentum}. */
    public Schedule momentum() {
        if (!cycleMomentum) {
            throw new IllegalStateException("CyclicLR: cycleMomentum = false, so it has no momentum schedule");
        }
        return t -> maxMomentum - (maxMomentum - baseMomentum) * position(t) * amplitude(t);
    }

    /** s in [0, 1]: where t sits in its triangle. */
    private double position(long t) {
        Valid.step(t);
        double total = (double) stepSizeUp + (double) stepSizeDown;
        double ratio = stepSizeUp / total;
        double cycle = Math.floor(1 + t / total);
        double x = 1.0 + t / total - cycle;
        return x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    }

    private double amplitude(long t) {
        return switch (mode) {
            case TRIANGULAR -> 1.0;
            case TRIANGULAR2 -> 1 / StrictMath.pow(2.0, Math.floor(1 + t / ((double) stepSizeUp + stepSizeDown)) - 1);
            case EXP_RANGE -> StrictMath.pow(gamma, (double) t);
        };
    }
}
