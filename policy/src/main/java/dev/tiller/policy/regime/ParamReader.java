package dev.tiller.policy.regime;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoublePredicate;

/**
 * Reads a params block (numbers, integers, booleans, choices) with defaults, and turns anything wrong into an
 * IllegalArgumentException that names where the block is, the field, the value and what is allowed, so a bad regime
 * file says exactly what to fix.
 */
public final class ParamReader {
    private final Map<String, Object> params;
    private final String where;

    /** Fails when params holds a key outside allowed, listing the allowed keys. */
    public ParamReader(Map<String, Object> params, String where, Set<String> allowed) {
        this.params = params == null ? Map.of() : params;
        this.where = where;
        for (String k : this.params.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field params." + k + "; allowed fields: "
                        + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    /** A finite number satisfying ok (described by allowed), or def when absent. */
    public double num(String key, double def, DoublePredicate ok, String allowed) {
        Object v = params.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || !ok.test(n.doubleValue())) {
            throw bad(key, v, "a finite number in " + allowed);
        }
        return n.doubleValue();
    }

    /** A whole number in [lo, hi], or def when absent. */
    public long integer(String key, long def, long lo, long hi) {
        Object v = params.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < lo
                || n.doubleValue() > hi) {
            throw bad(key, v, "a whole number in [" + lo + ", " + hi + "]");
        }
        return n.longValue();
    }

    public boolean bool(String key, boolean def) {
        Object v = params.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw bad(key, v, "true or false");
        }
        return b;
    }

    /** One of choices, or def when absent. */
    public String choice(String key, String def, String... choices) {
        Object v = params.get(key);
        if (v == null) {
            return def;
        }
        for (String c : choices) {
            if (c.equals(v)) {
                return c;
            }
        }
        throw bad(key, v, "one of \"" + String.join("\", \"", choices) + "\"");
    }

    /** A non-empty string, or def when absent. */
    public String text(String key, String def) {
        Object v = params.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof String s) || s.isEmpty()) {
            throw bad(key, v, "a non-empty string");
        }
        return s;
    }

    /** An error naming this block, the field, and the reason. */
    public IllegalArgumentException error(String key, String why) {
        return new IllegalArgumentException(where + ": params." + key + ": " + why);
    }

    private IllegalArgumentException bad(String key, Object v, String allowed) {
        String shown = v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
        return new IllegalArgumentException(where + ": params." + key + " = " + shown + " is not allowed; allowed: "
                + allowed);
    }
}
