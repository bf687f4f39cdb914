package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code OneCycleLR} (Smith and Topin, Super-Convergence, 2017; fastai's two-phase variant by default).
 * The learning rate rises from {@code initial = maxLr / divFactor} to maxLr, then falls to
 * {@code min = initial / finalDivFactor}; momentum (or Adam's beta1) moves the opposite way between maxMomentum and
 * baseMomentum. Phase ends (PyTorch's, in steps): two-phase {@code pctStart T - 1, T - 1}; three-phase
 * {@code pctStart T - 1, 2 pctStart T - 2, T - 1}, where the second phase returns to the initial lr and the third
 * anneals to min (momentum holds at maxMomentum). Within a phase {@code pct = (t - start) / (end - start)} and
 * <ul>
 *   <li>cos: {@code end + (start - end) / 2 (cos(pi pct) + 1)}</li>
 *   <li>linear: {@code (end - start) pct + start}</li>
 * </ul>
 * Like PyTorch, steps past {@code totalSteps} are an error (step {@code totalSteps} itself extrapolates the last
 * phase, as PyTorch's does). The optimizer's own lr is ignored.
 *
 * @param maxLr          peak learning rate
 * @param totalSteps     T, at least 1
 * @param pctStart       fraction of T spent rising, in [0, 1] (default 0.3)
 * @param anneal         COS (default) or LINEAR
 * @param cycleMomentum  whether {@link #momentum()} cycles (default true)
 * @param baseMomentum   momentum at the lr peak (default 0.85)
 * @param maxMomentum    momentum at the start and end (default 0.95)
 * @param divFactor      initial lr = maxLr / divFactor (default 25)
 * @param finalDivFactor min lr = initial lr / finalDivFactor (default 1e4)
 * @param threePhase     PyTorch's three_phase (default false)
 */
public record OneCycleLr(double maxLr, long totalSteps, double pctStart, Anneal anneal, boolean cycleMomentum,
                         double baseMomentum, double maxMomentum, double divFactor, double finalDivFactor,
                         boolean threePhase) implements Schedule {
    /** PyTorch's anneal_strategy. */
    public enum Anneal { COS, LINEAR }

    public OneCycleLr {
        Valid.nonNegative("OneCycleLR", "maxLr", maxLr);
        Valid.atLeast("OneCycleLR", "totalSteps", totalSteps, 1);
        Valid.closed("OneCycleLR", "pctStart", pctStart, 0, 1);
        if (anneal == null) {
            throw new IllegalArgumentException("OneCycleLR: anneal must be COS or LINEAR, got null");
        }
        Valid.finite("OneCycleLR", "baseMomentum", baseMomentum);
        Valid.finite("OneCycleLR", "maxMomentum", maxMomentum);
        Valid.positive("OneCycleLR", "divFactor", divFactor);
        Valid.positive("OneCycleLR", "finalDivFactor", finalDivFactor);
    }

    /** PyTorch's defaults: pct_start 0.3, cos, momentum 0.85..0.95, div 25, final div 1e4, two phases. */
    public static OneCycleLr of(double maxLr, long totalSteps) {
        return new OneCycleLr(maxLr, totalSteps, 0.3, Anneal.COS, true, 0.85, 0.95, 25.0, 1e4, false);
    }

    /** The learning rate at step t. */
    @Override
    public double at(long t) {
        return value(t, false);
    }

    /** The cycled momentum (or beta1), inverse to the lr; only when {@code cycleMomentum}. */
    public Schedule momentum() {
        if (!cycleMomentum) {
            throw new IllegalStateException("OneCycleLR: cycleMomentum = false, so it has no momentum schedule");
        }
        return t -> value(t, true);
    }

    private double value(long t, boolean momentum) {
        Valid.step(t);
        if (t > totalSteps) {
            throw new IllegalArgumentException("OneCycleLR: step " + t + " is past totalSteps = " + totalSteps
                    + " (PyTorch raises here too); hint: make totalSteps cover the run");
        }
        double initialLr = maxLr / divFactor;
        double minLr = initialLr / finalDivFactor;
        double[] ends;
        double[] lrs;
        double[] moms;
        if (threePhase) {
            ends = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1};
            lrs = new double[] {initialLr, maxLr, initialLr, minLr};
            moms = new double[] {maxMomentum, baseMomentum, maxMomentum, maxMomentum};
        } else {
            ends = new double[] {pctStart * totalSteps - 1, totalSteps - 1};
            lrs = new double[] {initialLr, maxLr, minLr};
            moms = new double[] {maxMomentum, baseMomentum, maxMomentum};
        }
        double startStep = 0.0;
        for (int i = 0; i < ends.length; i++) {
            if (t <= ends[i] || i == ends.length - 1) {
                double span = ends[i] - startStep;
                if (span == 0) {
                    throw new IllegalArgumentException("OneCycleLR: phase " + (i + 1) + " has zero length at step "
                            + t + " (PyTorch divides by zero here); hint: change pctStart or totalSteps");
                }
                double pct = (t - startStep) / span;
                return momentum ? anneal(moms[i], moms[i + 1], pct) : anneal(lrs[i], lrs[i + 1], pct);
            }
            startStep = ends[i];
        }
        throw new AssertionError("unreachable");
    }

    private double anneal(double start, double end, double pct) {
        if (anneal == Anneal.COS) {
            return end + (start - end) / 2.0 * (StrictMath.cos(Math.PI * pct) + 1);
        }
        return (end - start) * pct + start;
    }
}
