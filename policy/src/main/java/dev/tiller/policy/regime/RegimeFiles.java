package dev.tiller.policy.regime;

import dev.tiller.policy.regime.RegimeSpec.ArbiterSpec;
import dev.tiller.policy.regime.RegimeSpec.CalibrationSpec;
import dev.tiller.policy.regime.RegimeSpec.ControllerSpec;
import dev.tiller.policy.regime.RegimeSpec.RecoverySpec;
import dev.tiller.policy.regime.RegimeSpec.RingSpec;
import dev.tiller.policy.regime.RegimeSpec.TrialSpec;
import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoublePredicate;

/**
 * Regime files: JSON text to {@link RegimeSpec} and back. Every error names the source, the field's path and what is
 * allowed, e.g. {@code adaptive.json: knobs.lr.max: must be a number >= min (0.1), got "x"}. Omitted sections take
 * defaults: knobs stay fixed at their neutral value, no probes, no controllers, no snapshots, the default arbiter,
 * recovery and trial rules.
 *
 * <pre>
 * {"name": "adaptive",
 *  "knobs": {"lr": {"min": 0.1, "max": 3, "initial": 1, "max_step": 0.1, "cooldown": 50}, ...},
 *  "probes": {"layer_norms": 10, "update_ratio": 10, "noise": 50, "hessian": 250, "hessian_iterations": 8,
 *             "saturation": 50, "input_stats": 10, "fresh_loss": 50},
 *  "controllers": [{"type": "plateau_lr", ...its parameters}, ...],
 *  "arbiter": {"oscillation_window": 400, "max_reversals": 2, "hysteresis": 0.01},
 *  "ring": {"every": 25, "capacity": 4, "good_window": 25},
 *  "recovery": {"lr_factor": 0.5, "ramp_steps": 100, "cooldown": 100},
 *  "trials": {"window": 50, "tolerance": 0},
 *  "calibration": {"at": 0.1, "steps": 0.02, "min_steps": 10, "factor": 3, "max_moves": 2, "margin": 0.01},
 *  "signals": {...the signal bank's parameters}}
 * </pre>
 * Without a calibration section (or with "at": 0) the learning rate is never calibrated. The signals block is kept
 * as read; the signal bank checks its fields when the regime is built.
 */
final class RegimeFiles {
    /** The presets, in the order error messages list them. */
    static final List<String> PRESETS = List.of("static", "adaptive", "conservative", "plateau");

    private static final Set<String> TOP = Set.of("name", "knobs", "probes", "controllers", "arbiter", "ring",
            "recovery", "trials", "calibration", "signals");
    private static final Set<String> KNOB = Set.of("min", "max", "initial", "max_step", "cooldown");
    private static final Set<String> PROBES = Set.of("layer_norms", "update_ratio", "noise", "hessian",
            "hessian_iterations", "saturation", "input_stats", "fresh_loss");
    private static final Set<String> ARBITER = Set.of("oscillation_window", "max_reversals", "hysteresis");
    private static final Set<String> RING = Set.of("every", "capacity", "good_window");
    private static final Set<String> RECOVERY = Set.of("lr_factor", "ramp_steps", "cooldown");
    private static final Set<String> TRIALS = Set.of("window", "tolerance");
    private static final Set<String> CALIBRATION = Set.of("at", "steps", "min_steps", "factor", "max_moves",
            "margin");

    private RegimeFiles() {}

    static RegimeSpec preset(String name) {
        if (!PRESETS.contains(name)) {
            throw new IllegalArgumentException("unknown regime preset '" + name + "'; presets are "
                    + String.join(", ", PRESETS));
        }
        String file = name + ".json";
        try (InputStream in = RegimeFiles.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("regime preset resource " + file + " is missing from the jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read regime preset " + file, e);
        }
    }

    static RegimeSpec load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the regime file: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    static RegimeSpec resolve(String presetOrPath) {
        if (PRESETS.contains(presetOrPath)) {
            return preset(presetOrPath);
        }
        Path p = Path.of(presetOrPath);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("regime '" + presetOrPath + "' is neither a preset ("
                    + String.join(", ", PRESETS) + ") nor a regime file");
        }
        return load(p);
    }

    static RegimeSpec parse(String text, String source) {
        Object root = Json.parse(text, source);
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(source + ": must be a JSON object with the fields "
                    + sorted(TOP) + ", got " + Json.write(root));
        }
        String stem = source.replaceAll(".*[/\\\\]", "").replaceAll("\\.json$", "");
        return read(m, new Where(source), stem);
    }

    static RegimeSpec fromJson(Map<?, ?> json, String where) {
        return read(json, new Where(where), "regime");
    }

    private static RegimeSpec read(Map<?, ?> m, Where w, String defaultName) {
        w.fields(m, "", TOP);
        String name = m.containsKey("name") ? w.string(m, "", "name") : defaultName;

        Map<Knob, KnobSpec> knobs = new EnumMap<>(RegimeSpec.fixedKnobs());
        Map<?, ?> km = w.object(m, "", "knobs");
        for (Map.Entry<?, ?> e : km.entrySet()) {
            String key = String.valueOf(e.getKey());
            Knob k;
            try {
                k = Knob.of(key);
            } catch (IllegalArgumentException ex) {
                throw w.error("knobs." + key, "unknown knob; knobs are lr, momentum, weight_decay, clip, micro_batches,"
                        + " anchor");
            }
            knobs.put(k, knob(w, k, w.object(km, "knobs", key)));
        }

        Map<?, ?> pm = w.object(m, "", "probes");
        w.fields(pm, "probes", PROBES);
        ProbePlan probes = new ProbePlan(w.count(pm, "probes", "layer_norms", 0, 0),
                w.count(pm, "probes", "update_ratio", 0, 0), w.count(pm, "probes", "noise", 0, 0),
                w.count(pm, "probes", "hessian", 0, 0), (int) w.count(pm, "probes", "hessian_iterations", 1, 1),
                w.count(pm, "probes", "saturation", 0, 0), w.count(pm, "probes", "input_stats", 0, 0),
                w.count(pm, "probes", "fresh_loss", 0, 0));

        List<ControllerSpec> controllers = new ArrayList<>();
        Object cl = m.get("controllers");
        if (cl != null) {
            if (!(cl instanceof List<?> list)) {
                throw w.error("controllers", "must be an array of objects {\"type\": NAME, ...parameters}, got "
                        + Json.write(cl));
            }
            for (int i = 0; i < list.size(); i++) {
                String path = "controllers[" + i + "]";
                if (!(list.get(i) instanceof Map<?, ?> cm)) {
                    throw w.error(path, "must be an object {\"type\": NAME, ...parameters}, got "
                            + Json.write(list.get(i)));
                }
                String type = w.string(cm, path, "type");
                Map<String, Object> params = new LinkedHashMap<>();
                cm.forEach((k, v) -> {
                    if (!"type".equals(k)) {
                        if (v == null) {
                            throw w.error(path + "." + k, "must not be null");
                        }
                        params.put(String.valueOf(k), v);
                    }
                });
                ControllerSpec cs = new ControllerSpec(type, params);
                Controllers.create(cs, w.source + ": " + path);     // unknown types and bad parameters fail here
                controllers.add(cs);
            }
        }

        Map<?, ?> am = w.object(m, "", "arbiter");
        w.fields(am, "arbiter", ARBITER);
        ArbiterSpec arbiter = new ArbiterSpec(w.count(am, "arbiter", "oscillation_window", 100, 1),
                (int) w.count(am, "arbiter", "max_reversals", 2, 1),
                w.number(am, "arbiter", "hysteresis", 0.0, v -> v >= 0, "a number >= 0"));

        Map<?, ?> rm = w.object(m, "", "ring");
        w.fields(rm, "ring", RING);
        long every = w.count(rm, "ring", "every", 1, 1);
        long capacity = w.count(rm, "ring", "capacity", 0, 0);
        if (capacity > Integer.MAX_VALUE) {
            throw w.error("ring.capacity", "must be an integer from 0 to " + Integer.MAX_VALUE + ", got " + capacity);
        }
        RingSpec ring = new RingSpec(every, (int) capacity, w.count(rm, "ring", "good_window", 0, 0));

        RecoverySpec rd = RecoverySpec.defaults();
        Map<?, ?> vm = w.object(m, "", "recovery");
        w.fields(vm, "recovery", RECOVERY);
        RecoverySpec recovery = new RecoverySpec(
                w.number(vm, "recovery", "lr_factor", rd.lrFactor(), v -> v > 0 && v <= 1, "a number in (0, 1]"),
                w.count(vm, "recovery", "ramp_steps", rd.rampSteps(), 0),
                w.count(vm, "recovery", "cooldown", rd.cooldown(), 0));

        TrialSpec td = TrialSpec.defaults();
        Map<?, ?> tm = w.object(m, "", "trials");
        w.fields(tm, "trials", TRIALS);
        long window = w.count(tm, "trials", "window", td.window(), 2);
        if (window > Integer.MAX_VALUE) {
            throw w.error("trials.window", "must be an integer from 2 to " + Integer.MAX_VALUE + ", got " + window);
        }
        TrialSpec trials = new TrialSpec((int) window,
                w.number(tm, "trials", "tolerance", td.tolerance(), v -> v >= 0, "a number >= 0"));

        CalibrationSpec cd = CalibrationSpec.off();
        Map<?, ?> cm = w.object(m, "", "calibration");
        w.fields(cm, "calibration", CALIBRATION);
        long maxMoves = w.count(cm, "calibration", "max_moves", cd.maxMoves(), 1);
        if (maxMoves > 16) {
            throw w.error("calibration.max_moves", "must be an integer from 1 to 16, got " + maxMoves);
        }
        CalibrationSpec calibration = new CalibrationSpec(
                w.number(cm, "calibration", "at", cd.at(), v -> v >= 0 && v < 1, "a number in [0, 1) (0: never)"),
                w.number(cm, "calibration", "steps", cd.steps(), v -> v > 0 && v < 1,
                        "a number in (0, 1) (a fraction of the run's steps)"),
                w.count(cm, "calibration", "min_steps", cd.minSteps(), 1),
                w.number(cm, "calibration", "factor", cd.factor(), v -> v > 1, "a number > 1"),
                (int) maxMoves,
                w.number(cm, "calibration", "margin", cd.margin(), v -> v >= 0, "a number >= 0"));

        Map<String, Object> signals = new LinkedHashMap<>();
        w.object(m, "", "signals").forEach((k, v) -> {
            if (v == null) {
                throw w.error("signals." + k, "must not be null");
            }
            signals.put(String.valueOf(k), v);
        });
        return new RegimeSpec(name, knobs, probes, controllers, arbiter, ring, recovery, trials, signals,
                calibration);
    }

    private static KnobSpec knob(Where w, Knob k, Map<?, ?> m) {
        String p = "knobs." + k.key();
        w.fields(m, p, KNOB);
        boolean anchor = k == Knob.ANCHOR;
        double min = w.number(m, p, "min", null, anchor ? v -> v >= 0 : v -> v > 0,
                anchor ? "a number >= 0" : "a number > 0");
        double max = w.number(m, p, "max", null, v -> v >= min, "a number >= min (" + fmt(min) + ")");
        double neutral = Knobs.neutral().get(k);
        double initial = w.number(m, p, "initial", Math.min(max, Math.max(min, neutral)), v -> v >= min && v <= max,
                "a number from min (" + fmt(min) + ") to max (" + fmt(max) + ")");
        double maxStep = w.number(m, p, "max_step", null, v -> v > 0, anchor ? "a number > 0 (absolute units)"
                : "a number > 0 (natural-log units)");
        long cooldown = w.count(m, p, "cooldown", null, 0);
        return new KnobSpec(k, min, max, initial, maxStep, cooldown);
    }

    static Map<String, Object> toJson(RegimeSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        Map<String, Object> knobs = new LinkedHashMap<>();
        for (Knob k : Knob.values()) {
            KnobSpec ks = s.knobs().get(k);
            Map<String, Object> km = new LinkedHashMap<>();
            km.put("min", ks.min());
            km.put("max", ks.max());
            km.put("initial", ks.initial());
            km.put("max_step", ks.maxStep());
            km.put("cooldown", ks.cooldown());
            knobs.put(k.key(), km);
        }
        m.put("knobs", knobs);
        ProbePlan p = s.probes();
        Map<String, Object> probes = new LinkedHashMap<>();
        probes.put("layer_norms", p.layerNorms());
        probes.put("update_ratio", p.updateRatio());
        probes.put("noise", p.noise());
        probes.put("hessian", p.hessian());
        probes.put("hessian_iterations", p.hessianIterations());
        probes.put("saturation", p.saturation());
        probes.put("input_stats", p.inputStats());
        probes.put("fresh_loss", p.freshLoss());
        m.put("probes", probes);
        List<Object> controllers = new ArrayList<>();
        for (ControllerSpec c : s.controllers()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("type", c.type());
            cm.putAll(new TreeMap<>(c.params()));      // sorted: the spec keeps no order, the file should not vary
            controllers.add(cm);
        }
        m.put("controllers", controllers);
        m.put("arbiter", ordered("oscillation_window", s.arbiter().oscillationWindow(), "max_reversals",
                s.arbiter().maxReversals(), "hysteresis", s.arbiter().hysteresis()));
        m.put("ring", ordered("every", s.ring().every(), "capacity", s.ring().capacity(), "good_window",
                s.ring().goodWindow()));
        m.put("recovery", ordered("lr_factor", s.recovery().lrFactor(), "ramp_steps", s.recovery().rampSteps(),
                "cooldown", s.recovery().cooldown()));
        m.put("trials", ordered("window", s.trials().window(), "tolerance", s.trials().tolerance()));
        CalibrationSpec c = s.calibration();
        m.put("calibration", ordered("at", c.at(), "steps", c.steps(), "min_steps", c.minSteps(), "factor",
                c.factor(), "max_moves", c.maxMoves(), "margin", c.margin()));
        m.put("signals", new TreeMap<>(s.signals()));
        return m;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static String fmt(double v) {
        return Json.write(v);
    }

    private static String sorted(Set<String> s) {
        return String.join(", ", s.stream().sorted().toList());
    }

    /** The source of the text being read, and the error helpers that name it. */
    private record Where(String source) {
        IllegalArgumentException error(String path, String what) {
            return new IllegalArgumentException(source + ": " + path + ": " + what);
        }

        private static String join(String parent, String key) {
            return parent.isEmpty() ? key : parent + "." + key;
        }

        void fields(Map<?, ?> m, String path, Set<String> allowed) {
            for (Object k : m.keySet()) {
                if (!allowed.contains(String.valueOf(k))) {
                    throw error(join(path, String.valueOf(k)), "unknown field; fields here are " + sorted(allowed));
                }
            }
        }

        /** The object at key, or an empty one when absent. */
        Map<?, ?> object(Map<?, ?> m, String path, String key) {
            Object v = m.get(key);
            if (v == null) {
                return Map.of();
            }
            if (!(v instanceof Map<?, ?> o)) {
                throw error(join(path, key), "must be an object, got " + Json.write(v));
            }
            return o;
        }

        String string(Map<?, ?> m, String path, String key) {
            Object v = m.get(key);
            if (!(v instanceof String s) || s.isEmpty()) {
                throw error(join(path, key), "must be a non-empty string, got " + Json.write(v));
            }
            return s;
        }

        double number(Map<?, ?> m, String path, String key, Double dflt, DoublePredicate ok, String allowed) {
            Object v = m.get(key);
            if (v == null && !m.containsKey(key) && dflt != null) {
                return dflt;
            }
            if (v == null && !m.containsKey(key)) {
                throw error(join(path, key), "missing; must be " + allowed);
            }
            if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || !ok.test(n.doubleValue())) {
                throw error(join(path, key), "must be " + allowed + ", got " + Json.write(v));
            }
            return n.doubleValue();
        }

        /** An integer >= min (counts of steps, intervals, capacities). */
        long count(Map<?, ?> m, String path, String key, Number dflt, long min) {
            String allowed = "an integer >= " + min;
            double d = number(m, path, key, dflt == null ? null : dflt.doubleValue(), v -> true, allowed);
            if (d != Math.rint(d) || d < min || d > Long.MAX_VALUE) {
                throw error(join(path, key), "must be " + allowed + ", got " + Json.write(m.get(key)));
            }
            return (long) d;
        }
    }
}
