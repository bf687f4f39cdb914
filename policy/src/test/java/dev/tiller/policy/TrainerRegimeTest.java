package dev.tiller.policy;

import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.regime.Decision;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer's side of the regime: what it feeds the decider, and how it carries out each kind of decision. */
class TrainerRegimeTest {
    private static final AdamWHyper H = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);

    private static GraphTask graph() {
        return new GraphTask(GraphDataset.stochasticBlockModel(1, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, 1);
    }

    /** A decider that plays a script: step -> decision maker; records what it was fed. */
    private static final class Scripted implements Decider {
        final Map<Long, LongFunction<Decision>> script = new HashMap<>();
        final List<Signals> fed = new ArrayList<>();
        Knobs knobs = Knobs.neutral();

        @Override
        public Knobs knobs() {
            return knobs;
        }

        @Override
        public Decision decide(long step, Signals measured) {
            fed.add(measured);
            Decision d = script.getOrDefault(step, t -> plain(t, knobs)).apply(step);
            knobs = d.knobs();
            return d;
        }
    }

    private static Decision plain(long t, Knobs k) {
        return new Decision(t, k, List.of(), List.of(), false, -1, false, List.of(), Signals.empty(), "");
    }

    /** A ring over parameter values and optimizer state only: enough to see the trainer restore at the right time. */
    private static final class ParamRing implements RollbackStore {
        final List<ParamRef> params;
        final AdamW opt;
        final Map<Long, List<float[]>> saved = new HashMap<>();
        final Map<Long, Map<String, Tensor>> optState = new HashMap<>();
        final Map<Long, Long> optSteps = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        ParamRing(List<ParamRef> params, AdamW opt) {
            this.params = params;
            this.opt = opt;
        }

        @Override
        public void put(long step) {
            calls.add("put " + step);
            saved.put(step, params.stream().map(p -> p.value().toFloatArray()).toList());
            Map<String, Tensor> s = new HashMap<>();
            opt.state().forEach((k, v) -> s.put(k, v.copy()));
            optState.put(step, s);
            optSteps.put(step, opt.stepCount());
        }

        @Override
        public boolean restore(long step) {
            calls.add("restore " + step);
            List<float[]> v = saved.get(step);
            if (v == null) {
                return false;
            }
            for (int i = 0; i < params.size(); i++) {
                params.get(i).value().copyFrom(Tensor.of(v.get(i), params.get(i).value().shape()));
            }
            opt.loadState(optState.get(step), optSteps.get(step));
            return true;
        }

        @Override
        public long bytes() {
            return saved.size() * 100L;
        }
    }

    private record Run(GraphTask task, List<ParamRef> params, AdamW opt, Trainer<AdamWHyper> trainer) {}

    private static Run run(long steps, long evalEvery) {
        GraphTask task = graph();
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamW opt = new AdamW(params);
        Trainer<AdamWHyper> t = new Trainer<>(task, opt, params, s -> H, KnobBinding.adamW(), GlobalNormClip.l2(1f),
                new Trainer.Settings(steps, 1, evalEvery));
        return new Run(task, params, opt, t);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(l -> (Map<String, Object>) Json.parse(l, file.toString()))
                .toList();
    }

    private static float[] values(List<ParamRef> params) {
        int n = 0;
        for (ParamRef p : params) {
            n += (int) p.numel();
        }
        float[] out = new float[n];
        int o = 0;
        for (ParamRef p : params) {
            float[] v = p.value().toFloatArray();
            System.arraycopy(v, 0, out, o, v.length);
            o += v.length;
        }
        return out;
    }

    @Test
    void theDeciderSeesEveryStepsSignalsAndTheRowLogsExactlyThem(@TempDir Path dir) throws IOException {
        Run r = run(6, 2);
        Scripted d = new Scripted();
        r.trainer().deciders(spec -> d);
        try (RunLog log = new RunLog(dir, Map.of())) {
            r.trainer().run(log, null);
        }
        List<Map<String, Object>> rows = lines(dir.resolve("metrics.jsonl"));
        assertEquals(6, d.fed.size());
        for (int t = 0; t < 6; t++) {
            Signals s = d.fed.get(t);
            for (String k : List.of(Signals.LOSS, Signals.GRAD_NORM, Signals.FINITE, Signals.EFF_LR,
                    Signals.EFF_BETA1)) {
                assertTrue(s.has(k), "step " + t + " lacks " + k + ": " + s);
            }
            assertEquals(1.0, s.get(Signals.FINITE));
            assertEquals((double) 1e-2f, s.get(Signals.EFF_LR));
            assertEquals((double) 0.9f, s.get(Signals.EFF_BETA1));
            assertEquals(rows.get(t).get("train_loss"), s.get(Signals.LOSS));
            assertEquals(rows.get(t).get("grad_norm"), s.get(Signals.GRAD_NORM));
            // evaluations after steps 2 and 4 (1-based) reach the decisions of the steps after them
            assertEquals(t == 2 || t == 4, s.has(Signals.VAL_LOSS), "step " + t + ": " + s);
            if (s.has(Signals.VAL_LOSS)) {
                assertEquals(rows.get(t - 1).get("val_loss"), s.get(Signals.VAL_LOSS));
            }
            assertEquals(s, Signals.fromJson((Map<?, ?>) rows.get(t).get("signals")), "row " + (t + 1));
        }
        assertFalse(rows.get(0).containsKey("val_loss"));
    }

    @Test
    void knobsReachTheUpdateAndTheRow(@TempDir Path dir) throws IOException {
        Run r = run(4, 0);
        Scripted d = new Scripted();
        Knobs k = Knobs.neutral().with(Knob.LR, 0.5).with(Knob.MOMENTUM, 2.0).with(Knob.CLIP, 0.25)
                .with(Knob.MICRO_BATCHES, 2.0);
        d.script.put(2L, t -> new Decision(t, k, List.of(new Decision.Change("test", Knob.LR, 1, 0.5, "halve",
                Map.of("loss", 1.5))), List.of(), false, -1, false, List.of(), Signals.empty(), ""));
        r.trainer().deciders(spec -> d);
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<AdamWHyper> s = r.trainer().start(log, null)) {
            r.trainer().step(s);
            r.trainer().step(s);
            assertEquals(2, s.cursor());
            r.trainer().step(s);            // decided with k; its micro-batches still come from the knobs before it
            assertEquals(3, s.cursor());
            r.trainer().step(s);            // now two micro-batches
            assertEquals(5, s.cursor());
            r.trainer().finish(s, null);
        }
        List<Map<String, Object>> rows = lines(dir.resolve("metrics.jsonl"));
        Map<?, ?> eff = (Map<?, ?>) rows.get(2).get("effective");
        assertEquals((float) (1e-2f * 0.5), ((Double) rows.get(2).get("lr")).floatValue());
        assertEquals((float) (1.0 - (1.0 - 0.9f) * 2.0), ((Double) eff.get("momentum")).floatValue());
        assertEquals(0.25, eff.get("clip"));
        assertEquals(1.0, eff.get("micro_batches"));
        assertEquals(2.0, ((Map<?, ?>) rows.get(3).get("effective")).get("micro_batches"));
        assertEquals(0.5, ((Map<?, ?>) rows.get(3).get("knobs")).get("lr"));
        double norm = (Double) rows.get(2).get("grad_norm");
        assertTrue(norm > 0.25, "the setup: gradients above the scaled threshold, " + norm);
        assertEquals(0.25, norm * (Double) rows.get(2).get("clip_scale"), 1e-6, "clipped to 0.25 x the recipe's 1");
        // the next step's eff_lr signal shows the knob in force before its decision
        assertEquals((double) (float) (1e-2f * 0.5), d.fed.get(3).get(Signals.EFF_LR));
        String events = Files.readString(dir.resolve("events.jsonl"));
        assertTrue(events.contains("{\"step\":3,\"event\":\"decision\",\"controller\":\"test\",\"knob\":\"lr\","
                + "\"old\":1,\"new\":0.5,\"reason\":\"halve\",\"signals\":{\"loss\":1.5}}"), events);
    }

    @Test
    void skipLeavesTheWeightsAndRollbackRestoresTheSnapshotAfterTheStepItNamed(@TempDir Path dir)
            throws IOException {
        Run r = run(7, 0);
        Scripted d = new Scripted();
        d.script.put(1L, t -> new Decision(t, Knobs.neutral(), List.of(), List.of(), false, -1, true, List.of(),
                Signals.empty(), ""));
        d.script.put(3L, t -> new Decision(t, Knobs.neutral(), List.of(), List.of(
                new Decision.Rejection(Proposal.set("test", Knob.LR, 9, 1, "too much", Map.of()), "bound")), true, -1,
                false, List.of(), Signals.empty(), "loss spike"));
        d.script.put(5L, t -> new Decision(t, Knobs.neutral(), List.of(), List.of(), false, 1, false, List.of(),
                Signals.empty(), "non-finite loss"));
        r.trainer().deciders(spec -> d);
        ParamRing[] ring = new ParamRing[1];
        r.trainer().rollbackStore((s, spec) -> ring[0] = new ParamRing(s.params(), r.opt()));
        float[] afterStep2;
        float[] afterStep3;
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<AdamWHyper> s = r.trainer().start(log, null)) {
            r.trainer().step(s);
            r.trainer().step(s);
            afterStep2 = values(r.params());
            r.trainer().step(s);
            afterStep3 = values(r.params());
            r.trainer().step(s);                                     // skipped
            assertArrayEquals(afterStep3, values(r.params()), "a skipped step leaves the weights");
            r.trainer().step(s);
            assertFalse(Arrays.equals(afterStep2, values(r.params())));
            r.trainer().step(s);                                     // rolls back to the snapshot after step 2
            assertArrayEquals(afterStep2, values(r.params()), "rollback restores the snapshot's weights");
            assertEquals(2, r.opt().stepCount(), "and the optimizer state");
            assertEquals(6, s.step());
            assertEquals(6, s.cursor(), "the data position moves on: the batches since the snapshot are skipped");
            r.trainer().step(s);
            Trainer.Summary sum = r.trainer().finish(s, null);
            assertEquals(1, sum.skippedSteps());
            assertEquals(1, s.rollbacks());
        }
        assertEquals(List.of("put 1", "restore 1"), ring[0].calls);
        List<Map<String, Object>> events = lines(dir.resolve("events.jsonl"));
        List<String> kinds = events.stream().map(e -> e.get("step") + " " + e.get("event")).toList();
        assertEquals(List.of("0.0 run_start", "2.0 snapshot", "4.0 rejected", "4.0 skipped_step", "6.0 rollback",
                "7.0 eval", "7.0 run_end"), kinds);
        Map<String, Object> rollback = events.get(5 - 1);
        assertEquals(2.0, rollback.get("to"));
        assertEquals(true, rollback.get("restored"));
        assertEquals("regime: loss spike", events.get(3).get("reason"));
        assertEquals("bound", events.get(2).get("why"));
    }

    @Test
    void theAnchorPullsTowardTheWeightsOfWhenItRose(@TempDir Path dir) {
        Run r = run(4, 0);
        Scripted d = new Scripted();
        d.script.put(2L, t -> plain(t, Knobs.neutral().with(Knob.ANCHOR, 1.0)));
        d.script.put(3L, t -> plain(t, Knobs.neutral().with(Knob.ANCHOR, 1.0)));
        r.trainer().deciders(spec -> d);
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<AdamWHyper> s = r.trainer().start(log, null)) {
            r.trainer().step(s);
            r.trainer().step(s);
            float[] anchor = values(r.params());
            r.trainer().step(s);
            float[] pulled = values(r.params());
            r.trainer().step(s);
            float[] again = values(r.params());
            for (int i = 0; i < anchor.length; i++) {
                // theta - 1 * (theta - anchor): the anchor itself, up to the rounding of one subtraction
                assertEquals(anchor[i], pulled[i], 1e-6f * Math.max(1f, Math.abs(anchor[i])));
                assertEquals(anchor[i], again[i], 1e-6f * Math.max(1f, Math.abs(anchor[i])));
            }
            r.trainer().finish(s, null);
        }
    }

    @Test
    void injectedFaultsShowOnlyThroughTheirEffectsAndAreReportedUnderStatic(@TempDir Path dir) throws IOException {
        Run r = run(6, 0);
        Scripted d = new Scripted();
        r.trainer().deciders(spec -> d).faults(Faults.parse("nan-grad@2,lr-spike@3x100,poison@5"));
        try (RunLog log = new RunLog(dir, Map.of())) {
            Trainer.Summary s = r.trainer().run(log, null);
            assertEquals(1, s.skippedSteps());
        }
        List<Map<String, Object>> rows = lines(dir.resolve("metrics.jsonl"));
        assertEquals(0.0, d.fed.get(1).get(Signals.FINITE), "nan-grad: a non-finite gradient");
        assertTrue(Double.isNaN(d.fed.get(1).get(Signals.GRAD_NORM)));
        assertEquals((float) (1e-2f * 100.0), ((Double) rows.get(2).get("lr")).floatValue(),
                "lr-spike: the update used 100 x lr");
        assertEquals((double) 1e-2f, d.fed.get(2).get(Signals.EFF_LR), "the regime is not told of the spike");
        assertEquals(1e-2f, ((Double) rows.get(3).get("lr")).floatValue(), "step 3 only");
        double poisoned = d.fed.get(4).get(Signals.LOSS);
        assertTrue(poisoned > 1000 * d.fed.get(5).get(Signals.LOSS), "poison: a huge loss, " + poisoned);
        List<Map<String, Object>> events = lines(dir.resolve("events.jsonl"));
        List<String> injected = events.stream().filter(e -> e.get("event").equals("inject"))
                .map(e -> e.get("step") + " " + e.get("spec")).toList();
        assertEquals(List.of("2.0 nan-grad@2", "3.0 lr-spike@3x100", "5.0 poison@5"), injected);
        assertTrue(events.stream().anyMatch(e -> e.get("event").equals("skipped_step") && e.get("step").equals(2.0)
                && ((String) e.get("reason")).startsWith("non-finite gradient norm")), events.toString());
    }

    @Test
    void underTheStaticRegimeEveryFlaggedStepIsAnAnomalyEvent(@TempDir Path dir) throws IOException {
        Run r = run(40, 0);
        r.trainer().regime(RegimeSpec.preset("static")).faults(Faults.parse("nan-grad@30,poison@35"));
        try (RunLog log = new RunLog(dir, Map.of())) {
            r.trainer().run(log, null);
        }
        List<Map<String, Object>> anomalies = lines(dir.resolve("events.jsonl")).stream()
                .filter(e -> e.get("event").equals("anomaly")).toList();
        assertEquals(List.of(30.0, 35.0), anomalies.stream().map(e -> e.get("step")).toList(), anomalies.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> nan = (Map<String, Object>) anomalies.get(0).get("signals");
        assertEquals(0.0, nan.get(Signals.FINITE));
        @SuppressWarnings("unchecked")
        Map<String, Object> poison = (Map<String, Object>) anomalies.get(1).get("signals");
        assertTrue((Double) poison.get(Derived.LOSS_Z) > 6, poison.toString());
    }

    @Test
    void faultSpecsReadBackAndBadOnesAreNamed() {
        Faults f = Faults.parse("nan-grad@700, lr-spike@900x100,poison@1100,lr-spike@5x0.5");
        assertEquals("nan-grad@700,lr-spike@900x100,poison@1100,lr-spike@5x0.5", f.spec());
        assertEquals(f, Faults.parse(f.spec()));
        assertEquals(100.0, f.lrFactor(899));
        assertEquals(1.0, f.lrFactor(900));
        assertEquals(1100, f.lastStep());
        for (String bad : List.of("nan@3", "nan-grad@x", "lr-spike@9", "poison@0", "lr-spike@9x-1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Faults.parse(bad));
            assertTrue(e.getMessage().contains("nan-grad@S") || e.getMessage().contains("step >= 1"),
                    e.getMessage());
        }
    }

    @Test
    void neutralKnobsLeaveTheRecordBitForBitAndMomentumStaysBelowOne() {
        AdamWHyper h = new AdamWHyper(3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, false, false);
        KnobBinding<AdamWHyper> b = KnobBinding.adamW();
        assertEquals(h, b.bind(h, Knobs.neutral()));
        AdamWHyper m = b.bind(h, Knobs.neutral().with(Knob.MOMENTUM, 0.0).with(Knob.WEIGHT_DECAY, 2));
        assertEquals(Math.nextDown(1f), m.beta1());
        assertEquals((float) (0.1f * 2.0), m.weightDecay());
        assertEquals(0f, b.bind(h, Knobs.neutral().with(Knob.MOMENTUM, 20.0)).beta1());
        assertEquals(Map.of("lr", 3e-4f, "momentum", 0.9f, "weight_decay", 0.1f), b.effective(h));
    }

    @Test
    void anAppendingLogKeepsItsHistory(@TempDir Path dir) throws IOException {
        try (RunLog log = new RunLog(dir, Map.of("a", 1))) {
            log.metrics(Map.of("step", 1));
            log.event(Map.of("step", 1, "event", "x"));
        }
        try (RunLog log = new RunLog(dir, Map.of("a", 1), true)) {
            log.metrics(Map.of("step", 2));
        }
        assertEquals(List.of("{\"step\":1}", "{\"step\":2}"), Files.readAllLines(dir.resolve("metrics.jsonl")));
        assertEquals(1, Files.readAllLines(dir.resolve("events.jsonl")).size());
        try (RunLog log = new RunLog(dir, Map.of("a", 1))) {
            log.metrics(Map.of("step", 1));
        }
        assertEquals(List.of("{\"step\":1}"), Files.readAllLines(dir.resolve("metrics.jsonl")));
    }
}
