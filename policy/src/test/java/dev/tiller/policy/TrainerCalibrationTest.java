package dev.tiller.policy;

import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.KnobSpec;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Regime;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Replay;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learning-rate calibration's branches as the trainer runs them: they leave the run bit for bit as it would be
 * without them, and a rate far off moves toward the one the branches favour, in a decision that replays.
 */
class TrainerCalibrationTest {
    private static final long STEPS = 40;

    private static GraphTask graph() {
        return new GraphTask(GraphDataset.stochasticBlockModel(1, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, 1);
    }

    /** The schedule alone, the learning-rate knob free in [0.1, 10], branches of 4 steps at step 10. */
    private static RegimeSpec calibrating(double margin) {
        Map<Knob, KnobSpec> knobs = new EnumMap<>(RegimeSpec.fixedKnobs());
        knobs.put(Knob.LR, new KnobSpec(Knob.LR, 0.1, 10, 1, 0.1, 50));
        RegimeSpec s = RegimeSpec.staticRegime();
        return new RegimeSpec("calibrating", knobs, ProbePlan.none(), List.of(), s.arbiter(), s.ring(),
                s.recovery(), s.trials(), Map.of(), new RegimeSpec.CalibrationSpec(0.25, 0.1, 2, 3, 2, margin));
    }

    private record Result(List<Map<String, Object>> rows, String events, float[] params, double lrKnob) {}

    private static Result train(Path dir, RegimeSpec spec, float lr) throws IOException {
        GraphTask task = graph();
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(lr, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, s -> h, KnobBinding.adamW(),
                GlobalNormClip.l2(1f), new Trainer.Settings(STEPS, 1, 10)).regime(spec);
        double knob;
        try (RunLog log = new RunLog(dir, Map.of("regime", spec.toJson()))) {
            try (TrainState<AdamWHyper> s = t.start(log, null)) {
                while (s.step() < STEPS) {
                    t.step(s);
                }
                knob = s.knobs().get(Knob.LR);
                t.finish(s, null);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> row = (Map<String, Object>) Json.parse(l, "metrics.jsonl");
            rows.add(row);
        }
        List<float[]> values = new ArrayList<>();
        int n = 0;
        for (ParamRef p : params) {
            values.add(p.value().toFloatArray());
            n += (int) p.numel();
        }
        float[] all = new float[n];
        int o = 0;
        for (float[] v : values) {
            System.arraycopy(v, 0, all, o, v.length);
            o += v.length;
        }
        return new Result(rows, Files.readString(dir.resolve("events.jsonl")), all, knob);
    }

    private static List<Object> column(List<Map<String, Object>> rows, String key) {
        return rows.stream().map(r -> r.get(key)).toList();
    }

    @Test
    void branchesThatChangeNothingLeaveTheRunBitForBit(@TempDir Path dir) throws IOException {
        Result plain = train(dir.resolve("static"), RegimeSpec.staticRegime(), 1e-2f);
        Result branched = train(dir.resolve("branched"), calibrating(1e9), 1e-2f);     // a margin nothing beats
        assertEquals(column(plain.rows(), "train_loss"), column(branched.rows(), "train_loss"));
        assertEquals(column(plain.rows(), "grad_norm"), column(branched.rows(), "grad_norm"));
        assertEquals(column(plain.rows(), "eval"), column(branched.rows(), "eval"));
        assertArrayEquals(plain.params(), branched.params());
        Map<?, ?> signals = (Map<?, ?>) branched.rows().get(10).get("signals");    // step 11: the decision at t = 10
        for (String e : List.of("0", "1", "-1")) {
            assertTrue(signals.containsKey(Signals.LR_BRANCH + e), "branch " + e + " in " + signals);
        }
        for (int t = 0; t < STEPS; t++) {
            Map<?, ?> other = (Map<?, ?>) branched.rows().get(t).get("signals");
            assertEquals(t == 10, other.keySet().stream().anyMatch(k -> ((String) k).startsWith(Signals.LR_BRANCH)),
                    "row " + (t + 1));
        }
        assertTrue(branched.events().contains("\"step\":11,\"event\":\"trial_verdict\",\"controller\":\""
                + Regime.CALIBRATE + "\",\"knob\":\"lr\",\"kept\":true"), branched.events());
        assertEquals(1.0, branched.lrKnob());
        // the branches' items are real work and count
        assertTrue(((Number) branched.rows().get(10).get("items_seen")).longValue()
                > ((Number) plain.rows().get(10).get("items_seen")).longValue());
    }

    @Test
    void aRateFarTooLowIsRaisedAndTheDecisionReplays(@TempDir Path dir) throws IOException {
        Result low = train(dir, calibrating(1), 1e-4f);           // the preset's margin
        assertTrue(low.lrKnob() > 1, "the knob after a calibration from 1/100 of the task's rate: " + low.lrKnob());
        assertTrue(low.events().contains("\"step\":11,\"event\":\"decision\",\"controller\":\"" + Regime.CALIBRATE
                + "\",\"knob\":\"lr\",\"old\":1,"), low.events());
        Map<?, ?> before = (Map<?, ?>) low.rows().get(9).get("effective");
        Map<?, ?> after = (Map<?, ?>) low.rows().get(10).get("effective");
        assertEquals(((Number) before.get("lr")).doubleValue() * low.lrKnob(),
                ((Number) after.get("lr")).doubleValue(), 1e-9, "the step of the decision trains at the new rate");
        Replay.Report r = Replay.run(dir);
        assertEquals(STEPS, r.stepsChecked());
        assertEquals(0, r.mismatches(), r.summary());
    }

    @Test
    void aRunTooShortForItsBranchesDoesNotCalibrate(@TempDir Path dir) throws IOException {
        RegimeSpec.CalibrationSpec c = new RegimeSpec.CalibrationSpec(0.5, 0.01, 30, 3, 2, 0.01);
        assertFalse(c.runsIn(STEPS), "branches from step 20 for at least 30 steps end past 40");
        assertTrue(c.runsIn(100));
        assertFalse(RegimeSpec.CalibrationSpec.off().runsIn(1_000_000));
        assertEquals(10, calibrating(0).calibration().stepFor(STEPS));
        assertEquals(4, calibrating(0).calibration().branchSteps(STEPS));
        assertEquals(2, new RegimeSpec.CalibrationSpec(0.1, 0.01, 2, 3, 2, 0).branchSteps(STEPS), "min_steps");
    }
}
