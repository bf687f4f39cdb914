package dev.tiller.policy.state;

import dev.tiller.models.data.ShiftingStream;
import dev.tiller.policy.task.Task;

/**
 * The data position of a run, counted in micro-batches: {@link #position()} micro-batches have been consumed, and the
 * next one is the next in the stream whatever the number of micro-batches per step, so changing it neither skips nor
 * repeats data. On a {@link ShiftingStream} the step still selects the phase (the data a step draws from), and the
 * index within a phase counts from 0 at the phase's first micro-batch, as each phase is its own stream; the cursor
 * {@link #next} hands to {@link Task#trainLoss} is that index. With one micro-batch per step it equals the step in
 * the phase, so such runs draw what step-keyed tasks drew.
 */
public final class SampleCursor implements Stateful<SampleCursor.State> {
    /** Micro-batches consumed in the run; the phase of the last one drawn and the position where that phase began. */
    public record State(long position, int phase, long phaseStart) {
        public State {
            if (position < 0 || phase < 0 || phaseStart < 0 || phaseStart > position) {
                throw new IllegalArgumentException("SampleCursor: state needs 0 <= phaseStart <= position and phase"
                        + " >= 0, got position " + position + ", phase " + phase + ", phaseStart " + phaseStart);
            }
        }
    }

    private final ShiftingStream<?> shift;
    private State state = new State(0, 0, 0);

    /** A cursor at the start of the data of task. */
    public SampleCursor(Task task) {
        this(task.shift().orElse(null));
    }

    /** A cursor at the start of data that follows shift's phases (null: data that never shifts). */
    public SampleCursor(ShiftingStream<?> shift) {
        this.shift = shift;
    }

    /** Micro-batches consumed so far. */
    public long position() {
        return state.position();
    }

    /**
     * The cursor of the next micro-batch, drawn in step (the task's index within the phase active at step), and
     * counts it as consumed.
     */
    public long next(long step) {
        long c = peek(step, 0);
        int p = phaseAt(step);
        long start = p == state.phase() ? state.phaseStart() : state.position();
        state = new State(state.position() + 1, p, start);
        return c;
    }

    /** The cursor next(step) would return after ahead more micro-batches, consuming nothing (for look-ahead). */
    public long peek(long step, long ahead) {
        if (ahead < 0) {
            throw new IllegalArgumentException("SampleCursor: ahead " + ahead + " is negative");
        }
        long start = phaseAt(step) == state.phase() ? state.phaseStart() : state.position();
        return state.position() + ahead - start;
    }

    private int phaseAt(long step) {
        return shift == null ? 0 : shift.phaseAt(step);
    }

    @Override
    public State snapshot() {
        return state;
    }

    @Override
    public void restore(State snapshot) {
        if (shift == null ? snapshot.phase() != 0 : snapshot.phase() >= shift.phases()) {
            throw new IllegalArgumentException("SampleCursor: saved phase " + snapshot.phase() + " does not exist in"
                    + " this data (" + (shift == null ? 1 : shift.phases()) + " phases)");
        }
        this.state = snapshot;
    }

    @Override
    public long snapshotBytes(State snapshot) {
        return 20;
    }

    @Override
    public String toString() {
        return "cursor " + state.position() + " (phase " + state.phase() + " from " + state.phaseStart() + ")";
    }
}
