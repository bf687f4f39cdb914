package dev.tiller.policy.state;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Exact JSON forms of the small heap states a checkpoint's manifest holds (regime, controllers, probes, trainer
 * counters), written and read field by field by code that names every field: no reflection, no class names in the
 * file, so a crafted manifest can at worst be rejected. Numbers survive bit for bit: a double is a JSON number when
 * its text reads back to the same bits, else a string ("NaN", "-Infinity", "-0.0"); a long beyond 2^53 is a string.
 * Every error is a {@link StateCodec.BadState} naming the field's path.
 */
public final class StateCodec {
    private static final long EXACT = 1L << 53;

    private StateCodec() {}

    /** A manifest field that is missing, of the wrong kind or out of range; the message names its path. */
    public static final class BadState extends IllegalArgumentException {
        public BadState(String message) {
            super(message);
        }
    }

    /** d as a JSON value that reads back to the same bits (NaN payloads aside: every NaN reads back canonical). */
    public static Object num(double d) {
        if (Double.isFinite(d) && !(d == 0 && 1 / d < 0)) {
            return d;
        }
        return Double.toString(d);
    }

    /** v as a JSON value that reads back exactly. */
    public static Object lng(long v) {
        return Math.abs(v) <= EXACT && v != Long.MIN_VALUE ? (Object) v : Long.toString(v);
    }

    /** An object with the given alternating keys and values, in that order (manifests read the same every run). */
    public static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A map of doubles in num form, keys in order. */
    public static Map<String, Object> nums(Map<String, Double> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, num(v)));
        return out;
    }

    /** A list of doubles in num form. */
    public static List<Object> nums(double[] a) {
        List<Object> out = new ArrayList<>(a.length);
        for (double d : a) {
            out.add(num(d));
        }
        return out;
    }

    /** Reads an object's fields; where is its path in the manifest, for errors. */
    public static Reader read(Object json, String where) {
        if (!(json instanceof Map<?, ?> m)) {
            throw new BadState(where + ": expected an object, got " + kind(json));
        }
        return new Reader(m, where);
    }

    /** The fields of one JSON object, read by name and kind. */
    public static final class Reader {
        private final Map<?, ?> m;
        private final String where;

        Reader(Map<?, ?> m, String where) {
            this.m = m;
            this.where = where;
        }

        public String where() {
            return where;
        }

        /** Fails naming the first field outside names: a manifest with extra fields was not written by this code. */
        public Reader only(String... names) {
            Set<String> ok = Set.of(names);
            for (Object k : m.keySet()) {
                if (!ok.contains(String.valueOf(k))) {
                    throw new BadState(where + ": unknown field '" + k + "' (expected " + List.of(names) + ")");
                }
            }
            return this;
        }

        public boolean has(String name) {
            return m.containsKey(name) && m.get(name) != null;
        }

        public Object raw(String name) {
            if (!m.containsKey(name)) {
                throw new BadState(where + ": field '" + name + "' is missing");
            }
            return m.get(name);
        }

        public double d(String name) {
            return toDouble(raw(name), where + "." + name);
        }

        public long l(String name) {
            return toLong(raw(name), where + "." + name);
        }

        public int i(String name) {
            long v = l(name);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new BadState(where + "." + name + ": " + v + " is out of int range");
            }
            return (int) v;
        }

        /** A long in [min, max]. */
        public long l(String name, long min, long max) {
            long v = l(name);
            if (v < min || v > max) {
                throw new BadState(where + "." + name + ": " + v + " is outside [" + min + ", " + max + "]");
            }
            return v;
        }

        public boolean b(String name) {
            if (raw(name) instanceof Boolean b) {
                return b;
            }
            throw new BadState(where + "." + name + ": expected true or false, got " + kind(raw(name)));
        }

        public String s(String name) {
            if (raw(name) instanceof String s) {
                return s;
            }
            throw new BadState(where + "." + name + ": expected a string, got " + kind(raw(name)));
        }

        public Reader obj(String name) {
            return read(raw(name), where + "." + name);
        }

        public List<?> list(String name) {
            if (raw(name) instanceof List<?> l) {
                return l;
            }
            throw new BadState(where + "." + name + ": expected an array, got " + kind(raw(name)));
        }

        /** A list of objects, each read by item. */
        public <T> List<T> list(String name, Function<Reader, T> item) {
            List<?> l = list(name);
            List<T> out = new ArrayList<>(l.size());
            for (int k = 0; k < l.size(); k++) {
                out.add(item.apply(read(l.get(k), where + "." + name + "[" + k + "]")));
            }
            return out;
        }

        public double[] doubles(String name) {
            List<?> l = list(name);
            double[] out = new double[l.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = toDouble(l.get(k), where + "." + name + "[" + k + "]");
            }
            return out;
        }

        public long[] longs(String name) {
            List<?> l = list(name);
            long[] out = new long[l.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = toLong(l.get(k), where + "." + name + "[" + k + "]");
            }
            return out;
        }

        /** A map of doubles (num form), sorted by key. */
        public Map<String, Double> doubleMap(String name) {
            Reader r = obj(name);
            Map<String, Double> out = new TreeMap<>();
            for (Object k : r.m.keySet()) {
                out.put(String.valueOf(k), r.d(String.valueOf(k)));
            }
            return out;
        }

        /** The object's keys. */
        public List<String> keys() {
            return m.keySet().stream().map(String::valueOf).toList();
        }
    }

    static double toDouble(Object v, String where) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                case "-0.0":
                    return -0.0;
                default:
                    break;
            }
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                // fall through to the error naming the field
            }
        }
        throw new BadState(where + ": expected a number, got " + kind(v));
    }

    static long toLong(Object v, String where) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= EXACT) {
                return (long) d;
            }
            throw new BadState(where + ": expected an integer, got " + d);
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new BadState(where + ": expected an integer, got " + kind(v));
    }

    private static String kind(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?>) {
            return "an array";
        }
        return String.valueOf(v);
    }
}
