package dev.tiller.optim.schedule;

/**
 * A multiplier driven by a metric (reduce-on-plateau). Unlike a {@link Schedule} it depends on the metrics seen so
 * far, so its whole memory is an explicit, immutable state record S: {@link #observe} returns the next state and
 * never mutates, so saving a state and restoring it later continues the run identically (records compare by value,
 * so a checkpoint round trip is checkable with equals).
 *
 * <p>Protocol: {@code scale(state)} is in effect for the next step; after the step, feed the metric with
 * {@code state = observe(state, metric)}. Put the multiplier on top of any schedule with {@link PlateauSchedule}.
 *
 * @param <S> the state record
 */
public interface Plateau<S extends Record> {
    /** The state before any metric. */
    S initial();

    /** The state after seeing one more metric value; the argument is left unchanged. */
    S observe(S state, double metric);

    /** The multiplier (or, for a standalone plateau with an initial value, the value itself) in effect. */
    double scale(S state);
}
