package dev.tiller.cli.study;

import dev.tiller.policy.RunLog;
import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The study's runs.json: {"version":1,"runs":[...]} with one run a line, every field of {@link RunResult}, runs
 * sorted by workload, contender, arm, learning-rate factor and seed so that a rerun rewrites the same text.
 * A non-finite number is written as null (JSON has no NaN) and read back as NaN; an absent step (faultAt, shiftAt,
 * detectedAt) is null and reads back as null. Curve points are objects {step, samples, cpu_seconds, value}.
 */
public final class RunsJson {
    /** The format's version; a reader refuses any other. */
    public static final int VERSION = 1;

    /** The order runs are stored in: by key components, numbers compared as numbers. */
    public static final Comparator<RunResult> ORDER = Comparator.comparing(RunResult::workload)
            .thenComparing(RunResult::contender).thenComparing(RunResult::arm)
            .thenComparingDouble(RunResult::lrFactor).thenComparingLong(RunResult::seed);

    private RunsJson() {}

    /** Writes runs to file atomically (a temporary sibling moved into place). */
    public static void write(Path file, List<RunResult> runs) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            RunLog.writeAtomically(file, text(runs));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads a file written by {@link #write}; an absent file reads as no runs. */
    public static List<RunResult> read(Path file) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The text of runs.json; of two runs with the same key the later one is kept, as a rerun replaces a run. */
    public static String text(List<RunResult> runs) {
        StringBuilder b = new StringBuilder("{\"version\":" + VERSION + ",\"runs\":[");
        List<RunResult> sorted = unique(runs);
        for (int i = 0; i < sorted.size(); i++) {
            b.append(i == 0 ? "\n" : ",\n").append(Json.write(toJson(sorted.get(i))));
        }
        return b.append("\n]}\n").toString();
    }

    /** Parses the text of runs.json; name appears in error messages. */
    public static List<RunResult> parse(String text, String name) {
        Fields top = new Fields(Json.parse(text, name), name);
        long version = top.integer("version");
        if (version != VERSION) {
            throw new IllegalArgumentException(name + ": runs.json version " + version + ", this reader knows "
                    + VERSION);
        }
        List<RunResult> runs = new ArrayList<>();
        List<?> list = top.list("runs");
        for (int i = 0; i < list.size(); i++) {
            runs.add(fromJson(list.get(i), name + ": runs[" + i + "]"));
        }
        return runs;
    }

    /** Runs sorted by {@link #ORDER}, the last of each key kept. */
    public static List<RunResult> unique(List<RunResult> runs) {
        Map<String, RunResult> byKey = new LinkedHashMap<>();
        for (RunResult r : runs) {
            byKey.put(r.key(), r);
        }
        List<RunResult> sorted = new ArrayList<>(byKey.values());
        sorted.sort(ORDER);
        return sorted;
    }

    /** One run as a JSON object (field names in snake case, in the record's order). */
    public static Map<String, Object> toJson(RunResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", r.key());
        m.put("workload", r.workload());
        m.put("contender", r.contender());
        m.put("arm", r.arm());
        m.put("lr_factor", r.lrFactor());
        m.put("seed", r.seed());
        m.put("curve", points(r.curve()));
        m.put("train_curve", points(r.trainCurve()));
        m.put("steps", r.steps());
        m.put("samples", r.samples());
        m.put("cpu_seconds", r.cpuSeconds());
        m.put("final_metric", r.finalMetric());
        m.put("diverged", r.diverged());
        m.put("rollbacks", r.rollbacks());
        m.put("skipped", r.skipped());
        m.put("fault_at", r.faultAt());
        m.put("shift_at", r.shiftAt());
        m.put("detected_at", r.detectedAt());
        m.put("old_domain", points(r.oldDomain()));
        m.put("new_domain", points(r.newDomain()));
        return m;
    }

    /** A run from the object {@link #toJson} writes; where names it in error messages. */
    public static RunResult fromJson(Object json, String where) {
        Fields f = new Fields(json, where);
        return new RunResult(f.string("workload"), f.string("contender"), f.string("arm"), f.number("lr_factor"),
                f.integer("seed"), f.curve("curve"), f.curve("train_curve"), f.integer("steps"),
                f.integer("samples"), f.number("cpu_seconds"), f.number("final_metric"), f.bool("diverged"),
                f.integer("rollbacks"), f.integer("skipped"), f.optionalInteger("fault_at"),
                f.optionalInteger("shift_at"), f.optionalInteger("detected_at"), f.curve("old_domain"),
                f.curve("new_domain"));
    }

    private static List<Map<String, Object>> points(List<CurvePoint> curve) {
        List<Map<String, Object>> out = new ArrayList<>(curve.size());
        for (CurvePoint p : curve) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", p.step());
            m.put("samples", p.samples());
            m.put("cpu_seconds", p.cpuSeconds());
            m.put("value", p.value());
            out.add(m);
        }
        return out;
    }

    /** Typed reads of one parsed object; errors name the place and the field. */
    private record Fields(Map<?, ?> m, String where) {
        Fields(Object json, String where) {
            this(asMap(json, where), where);
        }

        private static Map<?, ?> asMap(Object json, String where) {
            if (!(json instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException(where + ": expected an object, got " + json);
            }
            return map;
        }

        Object raw(String name) {
            if (!m.containsKey(name)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' is missing");
            }
            return m.get(name);
        }

        String string(String name) {
            if (!(raw(name) instanceof String s)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be a string");
            }
            return s;
        }

        boolean bool(String name) {
            if (!(raw(name) instanceof Boolean b)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be true or false");
            }
            return b;
        }

        /** A number; null stands for a non-finite value and reads as NaN. */
        double number(String name) {
            return number(raw(name), name);
        }

        private double number(Object v, String name) {
            if (v == null) {
                return Double.NaN;
            }
            if (!(v instanceof Number n)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be a number, got " + v);
            }
            return n.doubleValue();
        }

        long integer(String name) {
            Long v = optionalInteger(name);
            if (v == null) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be an integer, got null");
            }
            return v;
        }

        Long optionalInteger(String name) {
            return integer(raw(name), name);
        }

        private Long integer(Object v, String name) {
            if (v == null) {
                return null;
            }
            double d = number(v, name);
            if (d != Math.rint(d) || Math.abs(d) > (1L << 53)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be an integer, got " + v);
            }
            return (long) d;
        }

        List<?> list(String name) {
            if (!(raw(name) instanceof List<?> l)) {
                throw new IllegalArgumentException(where + ": field '" + name + "' must be an array");
            }
            return l;
        }

        List<CurvePoint> curve(String name) {
            List<?> l = list(name);
            List<CurvePoint> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                Fields p = new Fields(l.get(i), where + ": " + name + "[" + i + "]");
                out.add(new CurvePoint(p.integer("step"), p.integer("samples"), p.number("cpu_seconds"),
                        p.number("value")));
            }
            return out;
        }
    }
}
