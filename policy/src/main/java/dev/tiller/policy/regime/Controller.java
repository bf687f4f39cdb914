package dev.tiller.policy.regime;

import dev.tiller.policy.state.StateCodec;

import java.util.List;
import java.util.Map;

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

    /**
     * state's JSON form for a checkpoint's manifest, every field by name (see {@link StateCodec}); read back by
     * {@link #decodeState}. A controller that does not override these cannot be checkpointed, and a save says so.
     */
    default Map<String, Object> encodeState(S state) {
        throw new UnsupportedOperationException("controller '" + name() + "' (" + getClass().getSimpleName()
                + ") has no checkpoint form for its state");
    }

    /** The state {@link #encodeState} wrote, bit for bit. */
    default S decodeState(StateCodec.Reader r) {
        throw new UnsupportedOperationException("controller '" + name() + "' (" + getClass().getSimpleName()
                + ") has no checkpoint form for its state");
    }

    record Output<S>(S state, List<Proposal> proposals) {
        public Output {
            proposals = List.copyOf(proposals);
        }
    }
}
