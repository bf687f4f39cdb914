package dev.tiller.policy.regime;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** The regime's value for every knob (1 = the recipe's schedule unchanged; 0 for the anchor). Immutable. */
public final class Knobs {
    private final EnumMap<Knob, Double> values;

    private Knobs(EnumMap<Knob, Double> values) {
        this.values = values;
    }

    /** Every knob at its neutral value: 1, and 0 for the anchor pull. */
    public static Knobs neutral() {
        EnumMap<Knob, Double> m = new EnumMap<>(Knob.class);
        for (Knob k : Knob.values()) {
            m.put(k, k == Knob.ANCHOR ? 0.0 : 1.0);
        }
        return new Knobs(m);
    }

    public double get(Knob k) {
        return values.get(k);
    }

    public Knobs with(Knob k, double v) {
        EnumMap<Knob, Double> m = new EnumMap<>(values);
        m.put(k, v);
        return new Knobs(m);
    }

    /** {"lr": 1.0, "momentum": 1.0, ...} in knob order, for metrics rows. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k.key(), v));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Knobs k && k.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
