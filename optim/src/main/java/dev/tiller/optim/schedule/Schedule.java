package dev.tiller.optim.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * A hyperparameter as a pure function of the step: {@code at(t)} is the value in effect for optimizer step
 * {@code t = 0, 1, ...} (t updates have already been applied). The value can be a learning rate, a momentum or beta1,
 * a weight decay, a clipping threshold, or a dimensionless multiplier; {@link HyperSchedule} writes it into any
 * hyperparameter record each step.
 *
 * <p>A schedule holds no state: calling {@code at} in any order, any number of times, gives the same answers, so a
 * checkpoint needs only the step count. The one stateful family, reduce-on-plateau, is a {@link Plateau} with an
 * explicit state record, and {@link PlateauSchedule} puts it on top of any schedule.
 *
 * <p>Composition: {@link #sequence} switches between schedules at milestones, each one restarting from its own step
 * 0 (PyTorch's {@code SequentialLR}, Optax's {@code join_schedules}); {@link #times} and {@link #product} multiply
 * (PyTorch's {@code ChainedScheduler} for multiplicative schedulers). Example, linear warm-up for 5 steps then cosine:
 * <pre>{@code
 * Schedule lr = Schedule.sequence(List.of(new LinearLr(0.1, 0.01, 1.0, 5), new CosineAnnealingLr(0.1, 30, 1e-4)), 5);
 * }</pre>
 */
@FunctionalInterface
public interface Schedule {
    /** The value in effect for step t (t >= 0). */
    double at(long t);

    /** The pointwise product {@code this.at(t) * other.at(t)}. */
    default Schedule times(Schedule other) {
        return product(this, other);
    }

    /** The pointwise product {@code this.at(t) * c}. */
    default Schedule scaled(double c) {
        return times(constant(c));
    }

    /** The same value at every step. */
    static Schedule constant(double value) {
        return new Constant(value);
    }

    /** The pointwise product of the factors (at least one). */
    static Schedule product(Schedule... factors) {
        return new Product(List.of(factors));
    }

    /**
     * Runs {@code parts.get(0)} until the first milestone, then {@code parts.get(i)} from its own step 0 at milestone
     * i-1: {@code at(t) = parts[i].at(t - milestones[i-1])} where i is the number of milestones {@code <= t}.
     * Milestones must be strictly increasing and non-negative, one fewer than the parts.
     */
    static Schedule sequence(List<? extends Schedule> parts, long... milestones) {
        List<Long> m = new ArrayList<>();
        for (long v : milestones) {
            m.add(v);
        }
        return new Sequence(List.copyOf(parts), m);
    }
}
