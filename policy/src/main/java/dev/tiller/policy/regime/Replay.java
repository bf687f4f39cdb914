package dev.tiller.policy.regime;

import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Re-runs a fresh regime over the signals a run logged and checks it reaches the same decisions: for every metrics row
 * (step t + 1) it decides step t from the row's "signals" and compares, at that step, the knob values with the row's
 * "knobs", and the decision's changes ("decision" events: controller, knob, old, new), rejections ("rejected":
 * controller, action, knob, why), rollback ("rollback": to = the snapshot's step + 1) and trial verdicts
 * ("trial_verdict": controller, knob, kept) with the events logged at that step; a skip must have its
 * "skipped_step" event (the trainer logs skips of its own as well, e.g. loss-scaler overflows, so not the converse).
 * Events use the metrics rows' step numbers (1-based: steps finished). Pure apart from the readers.
 */
public final class Replay {
    /** Mismatches described in a report; the count covers all of them. */
    static final int DESCRIBED = 10;

    private Replay() {}

    /** One metrics row as replay reads it: the 1-based step, the regime's input and the knob values it used. */
    public record Row(long step, Signals signals, Map<String, Double> knobs) {
        public Row {
            knobs = knobs == null ? null : Collections.unmodifiableMap(new TreeMap<>(knobs));
        }
    }

    /** One events.jsonl line: its step, its "event" name and its other fields. */
    public record Logged(long step, String event, Map<String, Object> fields) {
        public Logged {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }
    }

    /** Steps checked, mismatches counted and the first few described. */
    public record Report(long stepsChecked, long mismatches, List<String> described) {
        public Report {
            described = List.copyOf(described);
        }

        public boolean ok() {
            return mismatches == 0;
        }

        /** "N steps checked, M mismatches" and one line per described mismatch. */
        public String summary() {
            StringBuilder b = new StringBuilder(stepsChecked + " steps checked, " + mismatches + " mismatches");
            for (String d : described) {
                b.append("\n  ").append(d);
            }
            if (mismatches > described.size()) {
                b.append("\n  ... and ").append(mismatches - described.size()).append(" more");
            }
            return b.toString();
        }
    }

    /** Replays the run in runDir: its config.json's "regime" (a preset name or the spec's JSON form), its logs. */
    public static Report run(Path runDir) {
        Path config = runDir.resolve("config.json");
        Object c;
        try {
            c = Json.parse(Files.readString(config, StandardCharsets.UTF_8), config.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + config, e);
        }
        Object r = c instanceof Map<?, ?> m ? m.get("regime") : null;
        RegimeSpec spec = switch (r) {
            case String name -> RegimeSpec.preset(name);
            case Map<?, ?> m -> RegimeSpec.fromJson(m, config + ": regime");
            case null, default -> throw new IllegalArgumentException(config + ": regime: must be a preset name or a"
                    + " regime object, got " + Json.write(r));
        };
        return check(Regime.of(spec), readRows(runDir.resolve("metrics.jsonl")),
                readEvents(runDir.resolve("events.jsonl")));
    }

    /** Replays rows and events through a fresh regime of spec. */
    public static Report check(RegimeSpec spec, List<Row> rows, List<Logged> events) {
        return check(Regime.of(spec), rows, events);
    }

    /** Replays rows and events through fresh, a regime that has decided nothing yet. */
    public static Report check(Regime fresh, List<Row> rows, List<Logged> events) {
        Map<Long, List<Logged>> byStep = new TreeMap<>();
        for (Logged e : events) {
            byStep.computeIfAbsent(e.step(), s -> new ArrayList<>()).add(e);
        }
        List<String> described = new ArrayList<>();
        long[] mismatches = {0};
        Set<Long> checked = new HashSet<>();
        for (Row row : rows) {
            long t = row.step() - 1;
            checked.add(row.step());
            List<Logged> here = byStep.getOrDefault(row.step(), List.of());
            if (row.signals() == null) {
                mismatch(described, mismatches, "step " + row.step() + ": the metrics row has no \"signals\"");
                continue;
            }
            Decision d = fresh.decide(t, row.signals());
            if (row.knobs() == null || !row.knobs().equals(knobMap(d.knobs()))) {
                mismatch(described, mismatches, "step " + row.step() + ": knobs " + row.knobs() + " logged, "
                        + knobMap(d.knobs()) + " replayed");
            }
            List<String> want = keys(d);
            List<String> got = new ArrayList<>();
            boolean skipped = false;
            for (Logged e : here) {
                String k = key(e);
                if (k != null) {
                    got.add(k);
                }
                skipped |= e.event().equals("skipped_step");
            }
            Collections.sort(got);
            if (!want.equals(got)) {
                List<String> missing = new ArrayList<>(want);
                got.forEach(missing::remove);
                List<String> extra = new ArrayList<>(got);
                want.forEach(extra::remove);
                mismatch(described, mismatches, "step " + row.step() + ": replay decided " + missing
                        + " that the log lacks; the log has " + extra + " that replay did not decide");
            }
            if (d.skip() && !skipped) {
                mismatch(described, mismatches, "step " + row.step() + ": replay skipped the update, the log has no"
                        + " skipped_step");
            }
        }
        for (Map.Entry<Long, List<Logged>> e : byStep.entrySet()) {
            if (!checked.contains(e.getKey())) {
                for (Logged l : e.getValue()) {
                    if (key(l) != null) {
                        mismatch(described, mismatches, "step " + e.getKey() + ": " + key(l)
                                + " logged at a step with no metrics row");
                    }
                }
            }
        }
        return new Report(checked.size(), mismatches[0], described);
    }

    private static void mismatch(List<String> described, long[] count, String what) {
        count[0]++;
        if (described.size() < DESCRIBED) {
            described.add(what);
        }
    }

    private static Map<String, Double> knobMap(Knobs k) {
        Map<String, Double> m = new TreeMap<>();
        for (Knob knob : Knob.values()) {
            m.put(knob.key(), k.get(knob));
        }
        return m;
    }

    /** The comparable form of every logged line a decision implies (sorted), skips aside. */
    static List<String> keys(Decision d) {
        List<String> keys = new ArrayList<>();
        for (Decision.Change c : d.changes()) {
            keys.add(decisionKey(c.controller(), c.knob().key(), c.old(), c.now()));
        }
        for (Decision.Rejection r : d.rejections()) {
            Proposal p = r.proposal();
            keys.add(rejectedKey(p.controller(), p.action().name(), p.knob() == null ? null : p.knob().key(),
                    r.why()));
        }
        if (d.rollback()) {
            keys.add("rollback to=" + (d.rollbackTo() + 1));
        }
        for (Decision.Verdict v : d.verdicts()) {
            keys.add(verdictKey(v.controller(), v.knob().key(), v.kept()));
        }
        Collections.sort(keys);
        return keys;
    }

    /** The comparable form of a logged decision, rejection, rollback or verdict; null for other events. */
    static String key(Logged e) {
        Map<String, Object> f = e.fields();
        return switch (e.event()) {
            case "decision" -> decisionKey(str(f.get("controller")), str(f.get("knob")), num(f.get("old")),
                    num(f.get("new")));
            case "rejected" -> rejectedKey(str(f.get("controller")), str(f.get("action")), str(f.get("knob")),
                    str(f.get("why")));
            case "rollback" -> Boolean.FALSE.equals(f.get("restored")) ? null : "rollback to=" + str(f.get("to"));
            case "trial_verdict" -> verdictKey(str(f.get("controller")), str(f.get("knob")),
                    Boolean.TRUE.equals(f.get("kept")));
            default -> null;
        };
    }

    private static String decisionKey(String controller, String knob, double old, double now) {
        return "decision " + controller + " " + knob + " " + old + " -> " + now;
    }

    private static String rejectedKey(String controller, String action, String knob, String why) {
        return "rejected " + controller + " " + (action == null ? null : action.toLowerCase(Locale.ROOT)) + " "
                + knob + ": " + why;
    }

    private static String verdictKey(String controller, String knob, boolean kept) {
        return "trial_verdict " + controller + " " + knob + (kept ? " kept" : " reverted");
    }

    private static String str(Object o) {
        if (o instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString(d.longValue());          // integral numbers (steps) as the log writes them
        }
        return o == null ? null : o.toString();
    }

    private static double num(Object o) {
        return switch (o) {
            case Number n -> n.doubleValue();
            case String s -> Double.parseDouble(s);
            case null, default -> Double.NaN;
        };
    }

    /** Reads metrics.jsonl: each line's "step", "signals" ({@link Signals#toJson()}) and "knobs" (scales). */
    public static List<Row> readRows(Path metrics) {
        List<Row> rows = new ArrayList<>();
        List<String> lines = lines(metrics);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            Map<?, ?> m = object(lines.get(i), metrics + ":" + (i + 1));
            Signals s = m.get("signals") instanceof Map<?, ?> sm ? Signals.fromJson(sm) : null;
            Map<String, Double> knobs = null;
            if (m.get("knobs") instanceof Map<?, ?> km) {
                knobs = new TreeMap<>();
                for (Map.Entry<?, ?> e : km.entrySet()) {
                    knobs.put(String.valueOf(e.getKey()), num(e.getValue()));
                }
            }
            rows.add(new Row(step(m, metrics, i), s, knobs));
        }
        return rows;
    }

    /** Reads events.jsonl: each line's "step", "event" and the rest of its fields. */
    public static List<Logged> readEvents(Path events) {
        List<Logged> out = new ArrayList<>();
        List<String> lines = lines(events);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            Map<?, ?> m = object(lines.get(i), events + ":" + (i + 1));
            Map<String, Object> fields = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                if (!"step".equals(k) && !"event".equals(k)) {
                    fields.put(String.valueOf(k), v);
                }
            });
            out.add(new Logged(step(m, events, i), String.valueOf(m.get("event")), fields));
        }
        return out;
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    private static Map<?, ?> object(String line, String where) {
        if (!(Json.parse(line, where) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": not a JSON object");
        }
        return m;
    }

    private static long step(Map<?, ?> m, Path file, int line) {
        if (!(m.get("step") instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(file + ":" + (line + 1) + ": step: must be an integer, got "
                    + Json.write(m.get("step")));
        }
        return n.longValue();
    }
}
