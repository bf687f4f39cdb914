package dev.tiller.policy.regime;

import dev.tiller.policy.state.Stateful;

import java.util.List;

/**
 * The regime of a run: derives signals from the trainer's measurements, asks every controller, and lets the arbiter
 * decide, once per step and before that step's update. Pure given its inputs, so {@code ./tiller replay} re-runs it
 * over the signals a run logged and must reach the same decisions. A rollback decision also restores the regime's own
 * state (derived signals, controllers, arbiter, knobs) to the snapshot's step before the recovery rules apply; the
 * trainer restores everything else.
 */
public final class Regime implements Stateful<Regime.State> {
    /** Everything the regime carries between steps. */
    public record State(Knobs knobs, long step) {}

    private final RegimeSpec spec;
    private State state;

    private Regime(RegimeSpec spec) {
        this.spec = spec;
        this.state = new State(initialKnobs(spec), -1);
    }

    public static Regime of(RegimeSpec spec) {
        return new Regime(spec);
    }

    private static Knobs initialKnobs(RegimeSpec spec) {
        Knobs k = Knobs.neutral();
        for (KnobSpec s : spec.knobs().values()) {
            k = k.with(s.knob(), s.initial());
        }
        return k;
    }

    public RegimeSpec spec() {
        return spec;
    }

    /** The knob values in force now (those of the last decision). */
    public Knobs knobs() {
        return state.knobs();
    }

    /** Decides step (0-based, the step about to be applied) from what the trainer measured in it. */
    public Decision decide(long step, Signals measured) {
        boolean snapshot = spec.ring().capacity() > 0 && (step + 1) % spec.ring().every() == 0;
        state = new State(state.knobs(), step);
        return new Decision(step, state.knobs(), List.of(), List.of(), false, -1, snapshot, List.of(), Signals.empty(),
                "");
    }

    @Override
    public State snapshot() {
        return state;
    }

    @Override
    public void restore(State snapshot) {
        this.state = snapshot;
    }
}
