package dev.tiller.conform;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One case of a golden-v1 reference file (format: golden/README.md beside the shipped cases): a kind, a name and
 * kind-specific fields, read through typed accessors whose errors name the file, the case and the field, e.g.
 * {@code "ops.json: case 3 (matmul_2d): field 'inputs.a.shape': expected an array of integers"}.
 */
public final class GoldenCase {
    /** A float tensor as the file holds it: flat row-major data and its shape. */
    public record Array(double[] data, int[] shape) {
        /** The data rounded to float32 (inputs are float32-representable by construction). */
        public float[] floats() {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) data[i];
            }
            return f;
        }
    }

    private final String file;
    private final int index;
    private final Map<String, Object> fields;

    public GoldenCase(String file, int index, Map<String, Object> fields) {
        this.file = file;
        this.index = index;
        this.fields = fields;
    }

    /** The raw field map. */
    public Map<String, Object> fields() {
        return fields;
    }

    public String file() {
        return file;
    }

    public int index() {
        return index;
    }

    /** The case's name, or "#index" when it has none. */
    public String name() {
        Object n = fields.get("name");
        return n instanceof String s ? s : "#" + index;
    }

    /** The case's kind (op, optimizer, schedule, clip, loss_scale). */
    public String kind() {
        return string("kind");
    }

    /** An error naming this case and the field path. */
    public IllegalArgumentException error(String path, String problem) {
        return new IllegalArgumentException(file + ": case " + index + " (" + name() + "): field '" + path + "': "
                + problem);
    }

    /** True when the dotted path exists (its value may be null). */
    public boolean has(String path) {
        Object cur = fields;
        for (String part : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m) || !m.containsKey(part)) {
                return false;
            }
            cur = m.get(part);
        }
        return true;
    }

    /** The value at a dotted path ("inputs.a.shape"); missing fields are an error. */
    public Object get(String path) {
        Object cur = fields;
        StringBuilder seen = new StringBuilder();
        for (String part : path.split("\\.")) {
            if (seen.length() > 0) {
                seen.append('.');
            }
            seen.append(part);
            if (!(cur instanceof Map<?, ?> m)) {
                throw error(seen.toString(), "expected an object above it");
            }
            if (!m.containsKey(part)) {
                throw error(seen.toString(), "missing");
            }
            cur = m.get(part);
        }
        return cur;
    }

    /** The string at path. */
    public String string(String path) {
        Object v = get(path);
        if (!(v instanceof String s)) {
            throw error(path, "expected a string, got " + describe(v));
        }
        return s;
    }

    /** The number at path. */
    public double number(String path) {
        Object v = get(path);
        if (!(v instanceof Double d)) {
            throw error(path, "expected a number, got " + describe(v));
        }
        return d;
    }

    /** The number at path, or fallback when the field is absent or null. */
    public double number(String path, double fallback) {
        return has(path) && get(path) != null ? number(path) : fallback;
    }

    /** The boolean at path, or fallback when absent or null. */
    public boolean bool(String path, boolean fallback) {
        if (!has(path) || get(path) == null) {
            return fallback;
        }
        Object v = get(path);
        if (!(v instanceof Boolean b)) {
            throw error(path, "expected true or false, got " + describe(v));
        }
        return b;
    }

    /** The integer at path (a JSON number with no fraction). */
    public int integer(String path) {
        double d = number(path);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw error(path, "expected an integer, got " + d);
        }
        return (int) d;
    }

    /** The object at path. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object(String path) {
        Object v = get(path);
        if (!(v instanceof Map<?, ?>)) {
            throw error(path, "expected an object, got " + describe(v));
        }
        return (Map<String, Object>) v;
    }

    /** The list at path. */
    public List<?> list(String path) {
        Object v = get(path);
        if (!(v instanceof List<?> l)) {
            throw error(path, "expected an array, got " + describe(v));
        }
        return l;
    }

    /** The flat number array at path (null elements read as NaN). */
    public double[] numbers(String path) {
        return toNumbers(path, get(path));
    }

    /** The integer array at path. */
    public int[] integers(String path) {
        return toIntegers(path, get(path));
    }

    /** A {shape, data} tensor at path; checks that data length matches the shape. */
    public Array array(String path) {
        Object v = get(path);
        if (!(v instanceof Map<?, ?> m)) {
            throw error(path, "expected an object with 'shape' and 'data', got " + describe(v));
        }
        if (!m.containsKey("shape")) {
            throw error(path + ".shape", "missing");
        }
        if (!m.containsKey("data")) {
            throw error(path + ".data", "missing");
        }
        int[] shape = toIntegers(path + ".shape", m.get("shape"));
        Object raw = m.get("data");
        double[] data = raw instanceof List<?> ? toNumbers(path + ".data", raw) : new double[] {toScalar(path, raw)};
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw error(path + ".data", "has " + data.length + " values but shape " + Arrays.toString(shape)
                    + " needs " + n);
        }
        return new Array(data, shape);
    }

    private double toScalar(String path, Object v) {
        if (v instanceof Double d) {
            return d;
        }
        throw error(path + ".data", "expected numbers, got " + describe(v));
    }

    /** Flattens a (possibly nested) numeric list at path into doubles. */
    public double[] toNumbers(String path, Object v) {
        if (!(v instanceof List<?> l)) {
            throw error(path, "expected an array of numbers, got " + describe(v));
        }
        ArrayList<Double> out = new ArrayList<>();
        flatten(path, l, out);
        double[] a = new double[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    private void flatten(String path, List<?> l, List<Double> out) {
        for (Object o : l) {
            if (o instanceof Double d) {
                out.add(d);
            } else if (o == null) {
                out.add(Double.NaN);
            } else if (o instanceof List<?> inner) {
                flatten(path, inner, out);
            } else {
                throw error(path, "expected numbers, found " + describe(o));
            }
        }
    }

    private int[] toIntegers(String path, Object v) {
        double[] d = toNumbers(path, v);
        int[] a = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Math.rint(d[i])) {
                throw error(path, "expected integers, found " + d[i]);
            }
            a[i] = (int) d[i];
        }
        return a;
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?>) {
            return "an array";
        }
        if (v instanceof String s) {
            return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        return String.valueOf(v);
    }
}
