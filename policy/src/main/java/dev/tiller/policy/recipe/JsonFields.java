package dev.tiller.policy.recipe;

import java.util.List;
import java.util.Map;

/** Typed reads of a parsed JSON object whose errors name the file, the field and what is allowed. */
final class JsonFields {
    private final Map<?, ?> m;
    private final String where;

    JsonFields(Map<?, ?> m, String where) {
        this.m = m;
        this.where = where;
    }

    /** Fails on a field not in names, listing them. */
    void only(String... names) {
        List<String> allowed = List.of(names);
        for (Object k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field '" + k + "'; fields are "
                        + String.join(", ", allowed));
            }
        }
    }

    boolean has(String name) {
        return m.get(name) != null;
    }

    Object raw(String name) {
        if (!m.containsKey(name)) {
            throw new IllegalArgumentException(where + ": field '" + name + "' is missing");
        }
        return m.get(name);
    }

    String string(String name) {
        Object v = raw(name);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(where + ": field '" + name + "' must be a string, got " + v);
        }
        return s;
    }

    double number(String name) {
        Object v = raw(name);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(where + ": field '" + name + "' must be a number, got " + v);
        }
        return n.doubleValue();
    }

    long integer(String name) {
        double d = number(name);
        if (d != Math.rint(d) || Math.abs(d) > (1L << 53)) {
            throw new IllegalArgumentException(where + ": field '" + name + "' must be an integer (at most 2^53 in"
                    + " size), got " + d);
        }
        return (long) d;
    }
}
