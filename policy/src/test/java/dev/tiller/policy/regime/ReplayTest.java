package dev.tiller.policy.regime;

import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replay over a synthetic recorded run, written the way the trainer logs one (metrics rows with step t + 1, "signals"
 * and "knobs"; events with the same step numbers): the untouched run replays with no mismatch, tampered copies do not.
 */
class ReplayTest {
    private static final long SEED = 11;
    private static final int STEPS = 300;

    /** Writes config.json, metrics.jsonl and events.jsonl for a run of spec's regime with the given controllers. */
    private static List<Decision> record(Path dir, RegimeSpec spec, List<Controller<?>> controllers,
                                         List<Signals> signals) throws IOException {
        Regime regime = Regime.of(spec, controllers);
        List<String> metrics = new ArrayList<>();
        List<String> events = new ArrayList<>();
        List<Decision> ds = new ArrayList<>();
        events.add(Json.write(Map.of("step", 0, "event", "run_start")));
        for (int t = 0; t < signals.size(); t++) {
            Decision d = regime.decide(t, signals.get(t));
            ds.add(d);
            long step = t + 1;
            for (Decision.Change c : d.changes()) {
                events.add(Json.write(event(step, "decision", "controller", c.controller(), "knob", c.knob().key(),
                        "old", c.old(), "new", c.now(), "reason", c.reason(), "signals",
                        Signals.of(c.evidence()).toJson())));
            }
            for (Decision.Rejection r : d.rejections()) {
                Proposal p = r.proposal();
                events.add(Json.write(event(step, "rejected", "controller", p.controller(), "action",
                        p.action().name().toLowerCase(Locale.ROOT),
                        "knob", p.knob() == null ? null : p.knob().key(), "why", r.why(), "reason", p.reason())));
            }
            if (d.rollback()) {
                events.add(Json.write(event(step, "rollback", "to", d.rollbackTo() + 1, "restored", true)));
            }
            if (d.skip()) {
                events.add(Json.write(event(step, "skipped_step", "reason", d.why())));
            }
            for (Decision.Verdict v : d.verdicts()) {
                events.add(Json.write(event(step, "trial_verdict", "controller", v.controller(), "knob",
                        v.knob().key(), "kept", v.kept(), "reason", v.reason())));
            }
            metrics.add(Json.write(event(step, null, "train_loss", signals.get(t).get(Signals.LOSS), "knobs",
                    d.knobs().toMap(), "signals", signals.get(t).toJson())));
        }
        Files.write(dir.resolve("metrics.jsonl"), metrics);
        Files.write(dir.resolve("events.jsonl"), events);
        Files.writeString(dir.resolve("config.json"), Json.write(Map.of("regime", spec.toJson())));
        return ds;
    }

    private static Map<String, Object> event(long step, String name, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        if (name != null) {
            m.put("event", name);
        }
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static Replay.Report replay(Path dir, RegimeSpec spec) {
        return Replay.check(Regime.of(spec, Adversary.controllers(SEED)), Replay.readRows(dir.resolve("metrics.jsonl")),
                Replay.readEvents(dir.resolve("events.jsonl")));
    }

    @Test
    void anUntouchedRunReplaysWithNoMismatch(@TempDir Path dir) throws IOException {
        RegimeSpec spec = Adversary.spec(SEED);
        List<Decision> ds = record(dir, spec, Adversary.controllers(SEED), Adversary.signals(SEED, STEPS));
        assertTrue(ds.stream().anyMatch(Decision::rollback), "the run rolls back");
        assertTrue(ds.stream().anyMatch(d -> !d.changes().isEmpty()), "the run changes knobs");
        assertTrue(ds.stream().anyMatch(d -> !d.verdicts().isEmpty()), "the run judges trials");
        Replay.Report r = replay(dir, spec);
        assertEquals(STEPS + " steps checked, 0 mismatches", r.summary());
        assertTrue(r.ok());
    }

    @Test
    void tamperedRunsReportMismatches(@TempDir Path dir) throws IOException {
        RegimeSpec spec = Adversary.spec(SEED);
        List<Decision> ds = record(dir, spec, Adversary.controllers(SEED), Adversary.signals(SEED, STEPS));
        Path events = dir.resolve("events.jsonl");
        Path metrics = dir.resolve("metrics.jsonl");
        List<String> ev = Files.readAllLines(events);
        List<String> rows = Files.readAllLines(metrics);

        int decision = 0;
        while (!ev.get(decision).contains("\"event\":\"decision\"")) {
            decision++;
        }
        List<String> dropped = new ArrayList<>(ev);
        dropped.remove(decision);
        Files.write(events, dropped);
        Replay.Report r = replay(dir, spec);
        assertEquals(1, r.mismatches(), r.summary());
        assertTrue(r.described().get(0).contains("that the log lacks"), r.summary());

        Files.write(events, ev);
        int changed = 0;
        while (ds.get(changed).changes().isEmpty()) {
            changed++;
        }
        List<String> knobs = new ArrayList<>(rows);
        Knob k = ds.get(changed).changes().get(0).knob();
        Map<?, ?> row = (Map<?, ?>) Json.parse(rows.get(changed), "row");
        Map<String, Object> tampered = new LinkedHashMap<>();
        row.forEach((key, v) -> tampered.put((String) key, v));
        Map<String, Object> kv = new LinkedHashMap<>();
        ((Map<?, ?>) row.get("knobs")).forEach((key, v) -> kv.put((String) key, v));
        kv.put(k.key(), ((Double) kv.get(k.key())) * 1.0001);
        tampered.put("knobs", kv);
        knobs.set(changed, Json.write(tampered));
        Files.write(metrics, knobs);
        r = replay(dir, spec);
        assertEquals(1, r.mismatches(), r.summary());
        assertTrue(r.described().get(0).startsWith("step " + (changed + 1) + ": knobs"), r.summary());

        List<String> louder = new ArrayList<>(rows);
        int first = 0;
        Signals s = Signals.fromJson((Map<?, ?>) ((Map<?, ?>) Json.parse(rows.get(first), "row")).get("signals"));
        Map<String, Object> r0 = new LinkedHashMap<>();
        ((Map<?, ?>) Json.parse(rows.get(first), "row")).forEach((key, v) -> r0.put((String) key, v));
        r0.put("signals", s.with(Signals.LOSS, Double.NaN).toJson());
        louder.set(first, Json.write(r0));
        Files.write(metrics, louder);
        r = replay(dir, spec);
        assertTrue(r.mismatches() > 0, "a NaN loss at step 1 changes the regime's decisions");
        assertTrue(r.summary().startsWith(STEPS + " steps checked, " + r.mismatches() + " mismatches"));
    }

    @Test
    void aPresetRunReplaysThroughItsRunFolder(@TempDir Path dir) throws IOException {
        RegimeSpec spec = RegimeSpec.preset("adaptive");
        List<Controller<?>> cs = new ArrayList<>();
        for (int i = 0; i < spec.controllers().size(); i++) {
            cs.add(Controllers.create(spec.controllers().get(i), "test"));
        }
        record(dir, spec, cs, Adversary.signals(SEED, 120));
        assertEquals("120 steps checked, 0 mismatches", Replay.run(dir).summary());
    }

    @Test
    void explainPutsTheLargestEffectsFirstThenEverythingInOrder() {
        List<Replay.Logged> events = List.of(
                decision(5, "plateau_lr", "lr", 1.0, 1.1, "plateau"),
                decision(7, "momentum", "momentum", 1.0, 1.05, "oscillation"),
                new Replay.Logged(9, "rejected", Map.of("controller", "plateau_lr", "why",
                        "cooldown: lr changed at step 5, cooldown 50 steps")),
                new Replay.Logged(10, "rollback", Map.of("to", 6.0, "restored", true)),
                decision(10, "rollback", "lr", 1.1, 0.5, "rolled back"),
                new Replay.Logged(10, "skipped_step", Map.of("reason", "spike")));
        String text = Explain.of(events);
        assertTrue(text.startsWith("3 knob changes, 1 rollbacks, 1 skipped steps, 0 trial verdicts (0 kept),"
                + " 1 rejected proposals"), text);
        int lrLargest = text.indexOf("  lr            x0.4545 at step 10 by rollback: rolled back (net over the run:"
                + " 1.000 -> 0.5000)");
        int momentum = text.indexOf("  momentum      x1.050 at step 7 by momentum");
        assertTrue(lrLargest > 0 && momentum > lrLargest, text);
        assertTrue(text.contains("plateau_lr: cooldown  1"), text);
        int order5 = text.indexOf("step      5  lr 1.000 -> 1.100");
        int order7 = text.indexOf("step      7  momentum");
        int order10 = text.indexOf("step     10  rollback to the snapshot after step 6");
        assertTrue(order5 > momentum && order7 > order5 && order10 > order7, text);
    }

    @Test
    void explainFoldsARampsConsecutiveMovesIntoOneLine() {
        List<Replay.Logged> events = List.of(
                decision(11, "rollback", "lr", 0.5, 0.6, "reintroduce"),
                decision(13, "rollback", "lr", 0.6, 0.8, "reintroduce"),
                decision(15, "rollback", "lr", 0.8, 1.0, "reintroduce"),
                decision(16, "zclip", "clip", 1.0, 0.9, "history"),
                decision(17, "rollback", "lr", 1.0, 1.1, "reintroduce"));
        String text = Explain.of(events);
        assertTrue(text.contains("  steps 11-15  lr 0.5000 -> 1.000 (x2.000) by rollback: reintroduce (3 moves)\n"),
                text);
        assertTrue(text.contains("  step     16  clip 1.000 -> 0.9000 (x0.9000) by zclip: history\n"), text);
        assertTrue(text.contains("  step     17  lr 1.000 -> 1.100 (x1.100) by rollback: reintroduce\n"), text);
        assertTrue(text.startsWith("5 knob changes"), text);
    }

    /** A "decision" event as events.jsonl reads back. */
    private static Replay.Logged decision(long step, String controller, String knob, double old, double now,
                                          String reason) {
        return new Replay.Logged(step, "decision", Map.of("controller", controller, "knob", knob, "old", old, "new",
                now, "reason", reason));
    }
}
