package dev.tiller.policy.regime;

import java.util.List;

/**
 * A pure rule: from the step's signals (measured and derived), the current knob values and its own state, a new state
 * and proposals, each with a reason in words and its evidence. It never acts; the {@link Arbiter} turns proposals into
 * decisions. Same inputs, same outputs: no clock, no randomness, no fields that change.
 *
 * @param <S> the controller's state, an immutable record
 */
public interface Controller<S> {
    /** Name in events and regime files, unique within a regime. */
    String name();

    S initial();

    Output<S> decide(long step, Signals signals, Knobs knobs, S state);

    record Output<S>(S state, List<Proposal> proposals) {
        public Output {
            proposals = List.copyOf(proposals);
        }
    }
}
