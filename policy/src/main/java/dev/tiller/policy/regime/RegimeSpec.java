package dev.tiller.policy.regime;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A regime as data: the knobs' rules, the probes' intervals, the controllers with their parameters, the arbiter's
 * guards and the rollback ring. Read from a JSON regime file or a preset ("static", "adaptive", "conservative") and
 * written back into config.json, so a run's regime is part of the record that reproduces it.
 *
 * @param ring snapshot every ring.every steps, keep the newest ring.capacity; a snapshot is known-good once
 *             ring.goodWindow steps after it passed with no anomaly
 */
public record RegimeSpec(String name, Map<Knob, KnobSpec> knobs, ProbePlan probes, List<ControllerSpec> controllers,
                         ArbiterSpec arbiter, RingSpec ring) {
    public RegimeSpec {
        knobs = Map.copyOf(new EnumMap<>(knobs));
        controllers = List.copyOf(controllers);
        for (Knob k : Knob.values()) {
            if (!knobs.containsKey(k)) {
                throw new IllegalArgumentException("regime " + name + ": no rules for knob " + k.key());
            }
        }
    }

    /** One controller: its type (the registry's name for it) and its parameters as read from JSON. */
    public record ControllerSpec(String type, Map<String, Object> params) {
        public ControllerSpec {
            params = Map.copyOf(params);
        }
    }

    /**
     * The arbiter's guards: a knob that reversed direction maxReversals times within oscillationWindow steps is
     * frozen for that window; a change smaller than hysteresis (log units) is not worth making.
     */
    public record ArbiterSpec(long oscillationWindow, int maxReversals, double hysteresis) {}

    public record RingSpec(long every, int capacity, long goodWindow) {
        public RingSpec {
            if (every < 1 || capacity < 0 || goodWindow < 0) {
                throw new IllegalArgumentException("ring: every >= 1, capacity >= 0, goodWindow >= 0 required");
            }
        }
    }

    /** Knob rules that leave every knob where it is. */
    public static Map<Knob, KnobSpec> fixedKnobs() {
        Map<Knob, KnobSpec> m = new EnumMap<>(Knob.class);
        Knobs neutral = Knobs.neutral();
        for (Knob k : Knob.values()) {
            double v = neutral.get(k);
            m.put(k, new KnobSpec(k, v, k == Knob.ANCHOR ? 0 : v, v, k == Knob.ANCHOR ? 1e-9 : 1e-9, 0));
        }
        return m;
    }

    /** The schedule alone: no controllers, no probes, no snapshots. */
    public static RegimeSpec staticRegime() {
        return new RegimeSpec("static", fixedKnobs(), ProbePlan.none(), List.of(), new ArbiterSpec(1, 1, 0),
                new RingSpec(1, 0, 0));
    }
}
