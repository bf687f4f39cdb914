package dev.tiller.policy.regime;

/**
 * Derives the regime's signals (EMAs, slopes, z-scores, detectors) from the measured ones, as a pure function of its
 * state. This version derives nothing: it is the seam the regime is written against, and the full bank replaces its
 * body with the same API.
 */
public final class SignalBank {
    /** What the bank carries between steps; immutable. */
    public record State(long updates) {}

    /** The bank's new state and the step's derived signals (measured ones are not repeated). */
    public record Result(State state, Signals derived) {}

    private SignalBank() {}

    public static SignalBank of(RegimeSpec spec) {
        return new SignalBank();
    }

    public State initial() {
        return new State(0);
    }

    public Result update(State s, long step, Signals measured) {
        return new Result(new State(s.updates() + 1), Signals.empty());
    }
}
