package dev.tiller.policy;

import dev.tiller.policy.regime.Decision;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Regime;
import dev.tiller.policy.regime.Signals;

/** The regime as the trainer calls it: the knob values in force, and one decision per step before its update. */
public interface Decider {
    /** The knob values of the last decision (the regime's initial ones before the first). */
    Knobs knobs();

    /** Decides step (0-based) from what the trainer measured in it; see {@link Regime#decide}. */
    Decision decide(long step, Signals measured);

    /** The regime behind this decider, whose state a checkpoint saves; null when there is none to save. */
    default Regime regime() {
        return null;
    }

    static Decider of(Regime regime) {
        return new Decider() {
            @Override
            public Knobs knobs() {
                return regime.knobs();
            }

            @Override
            public Decision decide(long step, Signals measured) {
                return regime.decide(step, measured);
            }

            @Override
            public Regime regime() {
                return regime;
            }
        };
    }
}
