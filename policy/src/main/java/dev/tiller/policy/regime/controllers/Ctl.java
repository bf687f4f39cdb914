package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.ParamReader;
import dev.tiller.policy.regime.Signals;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Helpers shared by the controllers: evidence maps, finiteness tests and number formatting for reasons. */
final class Ctl {
    /** "Long ago": a last-change step that never blocks a cooldown. */
    static final long NEVER = Long.MIN_VALUE / 4;

    private Ctl() {}

    /** True when name is measured or derived this step and finite: a controller acts only on such evidence. */
    static boolean ok(Signals s, String name) {
        return s.has(name) && Double.isFinite(s.get(name));
    }

    /** Evidence from alternating names and values: ev("loss_z", 3.2, "threshold", 2.0). */
    static Map<String, Double> ev(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return m;
    }

    /** A number for a reason in words, 4 significant digits. */
    static String f(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** The controller's name param (default: its type). */
    static String name(ParamReader r, String type) {
        return r.text("name", type);
    }

    /** The controller's priority param. */
    static int priority(ParamReader r, int def) {
        return (int) r.integer("priority", def, -1_000_000, 1_000_000);
    }

    /** A log-unit step in (0, 5]. */
    static double step(ParamReader r, String key, double def) {
        return r.num(key, def, v -> v > 0 && v <= 5, "(0, 5] (natural-log units)");
    }

    /** A cooldown in steps, >= 0. */
    static long steps(ParamReader r, String key, long def) {
        return r.integer(key, def, 0, Long.MAX_VALUE / 8);
    }
}
