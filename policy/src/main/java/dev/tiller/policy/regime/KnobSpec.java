package dev.tiller.policy.regime;

/**
 * One knob's rules: the regime's value for it stays in [min, max], starts at initial, moves by at most maxStep per
 * decision (in natural-log units for multiplicative knobs, absolute units for {@link Knob#ANCHOR}), and after a change
 * stays put for cooldown steps. Bounds and steps are the arbiter's hard limits, whatever a controller proposes.
 */
public record KnobSpec(Knob knob, double min, double max, double initial, double maxStep, long cooldown) {
    public KnobSpec {
        if (!(min <= initial && initial <= max) || !(maxStep > 0) || cooldown < 0
                || (knob != Knob.ANCHOR && !(min > 0))) {
            throw new IllegalArgumentException("knob " + knob.key() + ": need 0 < min <= initial <= max (0 <= min for"
                    + " anchor), maxStep > 0 and cooldown >= 0, got min " + min + ", initial " + initial + ", max "
                    + max + ", maxStep " + maxStep + ", cooldown " + cooldown);
        }
    }

    /** True when steps are measured in log units (every knob but the additive anchor). */
    public boolean multiplicative() {
        return knob != Knob.ANCHOR;
    }

    /** The value closest to proposed that is within bounds and within one maximum step of old. */
    public double limit(double old, double proposed) {
        double v;
        if (multiplicative()) {
            double lo = old * StrictMath.exp(-maxStep);
            double hi = old * StrictMath.exp(maxStep);
            v = Math.min(hi, Math.max(lo, proposed));
        } else {
            v = Math.min(old + maxStep, Math.max(old - maxStep, proposed));
        }
        return Math.min(max, Math.max(min, v));
    }
}
