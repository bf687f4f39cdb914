package dev.tiller.optim.average;

/**
 * EMA-of-weights settings.
 *
 * @param decay     the weight kept per update, in [0, 1] (PyTorch's get_ema_multi_avg_fn default 0.999; Keras's
 *                  ema_momentum default 0.99); a double, because PyTorch forms 1 - decay in double precision
 * @param warmStart true: the first update copies the parameters (PyTorch's AveragedModel, whose n_averaged == 0 step
 *                  copies, and Keras's ema, whose momentum is 0 at iteration 0); false: the average starts from the
 *                  parameters as they were at construction and every update, the first included, applies the decay
 */
public record EmaHyper(double decay, boolean warmStart) {
    public EmaHyper {
        if (!(decay >= 0 && decay <= 1)) {
            throw new IllegalArgumentException("EMA: decay = " + decay + " is not allowed; allowed range [0, 1],"
                    + " finite");
        }
    }

    /** PyTorch's default: decay 0.999, first update copies. */
    public static EmaHyper defaults() {
        return new EmaHyper(0.999, true);
    }

    public EmaHyper withDecay(double v) {
        return new EmaHyper(v, warmStart);
    }
}
