package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code ReduceLROnPlateau} as an explicit-state {@link Plateau}. The reduced quantity starts at
 * {@code startValue}: the optimizer's lr for PyTorch's own behaviour ({@link #torch}), or 1 to use it as a multiplier
 * on top of another schedule ({@link #multiplier}).
 *
 * <p>Rule per {@code observe(metric)} (torch.optim.lr_scheduler, 2.11):
 * <ol>
 *   <li>better = {@code a < best (1 - threshold)} (min, rel), {@code a < best - threshold} (min, abs),
 *       {@code a > best (1 + threshold)} (max, rel), {@code a > best + threshold} (max, abs); best starts at +inf
 *       (min) or -inf (max). If better: best = a, bad = 0; else bad += 1.</li>
 *   <li>If in cooldown (counter > 0): counter -= 1, bad = 0 (best is still updated).</li>
 *   <li>If bad > patience: value = max(value factor, minValue), applied only if it drops by more than eps;
 *       then counter = cooldown, bad = 0.</li>
 * </ol>
 * So the first reduction comes on the (patience + 1)-th consecutive non-improving metric.
 *
 * <p>How Optax's {@code contrib.reduce_on_plateau} ({@link OptaxReduceOnPlateau}) differs: Optax reduces when its
 * plateau count <em>equals</em> patience, i.e. on the patience-th bad evaluation (one earlier than PyTorch), and with
 * patience = 0 (Optax 0.2.8) it reduces after improving evaluations instead of bad ones; Optax is 'min' only,
 * with one combined test {@code avg < (1 - rtol) best - atol}; it averages accumulation_size metrics per evaluation;
 * it clamps with min_scale at every evaluation and has no eps; and it runs in float32.
 *
 * @param mode          MIN or MAX
 * @param factor        multiplier per reduction, in [0, 1) (PyTorch default 0.1)
 * @param patience      non-improving metrics tolerated, at least 0 (default 10)
 * @param threshold     improvement margin, at least 0 (default 1e-4)
 * @param thresholdMode REL or ABS (default REL)
 * @param cooldown      metrics ignored after a reduction, at least 0 (default 0)
 * @param minValue      floor for the value (PyTorch's min_lr, default 0)
 * @param eps           smallest reduction applied (default 1e-8)
 * @param startValue    the value before any reduction
 */
public record ReduceLrOnPlateau(Mode mode, double factor, int patience, double threshold,
                                ThresholdMode thresholdMode, int cooldown, double minValue, double eps,
                                double startValue) implements Plateau<ReduceLrOnPlateau.State> {
    /** Whether a smaller (MIN) or larger (MAX) metric is better. */
    public enum Mode { MIN, MAX }

    /** Whether threshold is relative to best (REL) or absolute (ABS). */
    public enum ThresholdMode { REL, ABS }

    /**
     * The whole memory: the current value, the best metric, PyTorch's num_bad_epochs and cooldown_counter, and how
     * many metrics were seen (last_epoch).
     */
    public record State(double value, double best, int numBadEpochs, int cooldownCounter, long lastEpoch) {}

    public ReduceLrOnPlateau {
        String o = "ReduceLROnPlateau";
        if (mode == null || thresholdMode == null) {
            throw new IllegalArgumentException(o + ": mode (MIN/MAX) and thresholdMode (REL/ABS) are required");
        }
        Valid.closedOpen(o, "factor", factor, 0, 1);
        Valid.atLeast(o, "patience", patience, 0);
        Valid.nonNegative(o, "threshold", threshold);
        Valid.atLeast(o, "cooldown", cooldown, 0);
        Valid.nonNegative(o, "minValue", minValue);
        Valid.nonNegative(o, "eps", eps);
        Valid.nonNegative(o, "startValue", startValue);
    }

    /** PyTorch's behaviour on an optimizer whose lr is {@code lr}: the state's value is the lr. */
    public static ReduceLrOnPlateau torch(double lr, Mode mode, double factor, int patience, double threshold,
                                          ThresholdMode thresholdMode, int cooldown, double minLr, double eps) {
        return new ReduceLrOnPlateau(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps, lr);
    }

    /** A multiplier starting at 1 and floored at minScale (eps 1e-8 on the multiplier), to put on a schedule. */
    public static ReduceLrOnPlateau multiplier(Mode mode, double factor, int patience, double threshold,
                                               ThresholdMode thresholdMode, int cooldown, double minScale) {
        return new ReduceLrOnPlateau(mode, factor, patience, threshold, thresholdMode, cooldown, minScale, 1e-8, 1.0);
    }

    @Override
    public State initial() {
        return new State(startValue, mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY, 0, 0, 0);
    }

    @Override
    public State observe(State s, double metric) {
        double best = s.best();
        int bad = s.numBadEpochs();
        if (isBetter(metric, best)) {
            best = metric;
            bad = 0;
        } else {
            bad = bad == Integer.MAX_VALUE ? bad : bad + 1;
        }
        int counter = s.cooldownCounter();
        if (counter > 0) {
            counter--;
            bad = 0;                          // bad metrics during cooldown are ignored
        }
        double value = s.value();
        if (bad > patience) {
            double reduced = Math.max(value * factor, minValue);
            if (value - reduced > eps) {
                value = reduced;
            }
            counter = cooldown;
            bad = 0;
        }
        return new State(value, best, bad, counter, s.lastEpoch() + 1);
    }

    @Override
    public double scale(State s) {
        return s.value();
    }

    private boolean isBetter(double a, double best) {
        if (mode == Mode.MIN) {
            return thresholdMode == ThresholdMode.REL ? a < best * (1.0 - threshold) : a < best - threshold;
        }
        return thresholdMode == ThresholdMode.REL ? a > best * (threshold + 1.0) : a > best + threshold;
    }
}
