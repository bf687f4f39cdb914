package dev.tiller.policy.regime;

import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

class RegimeFilesTest {
    private static final String LR = "\"lr\": {\"min\": 0.01, \"max\": 2, \"max_step\": 0.1, \"cooldown\": 5}";

    private static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> RegimeSpec.parse(json, "adaptive.json"))
                .getMessage();
    }

    @Test
    void errorsNameTheFileTheFieldAndWhatIsAllowed() {
        assertEquals("adaptive.json: knobs.lr.max: must be a number >= min (0.01), got \"x\"",
                error("{\"knobs\": {\"lr\": {\"min\": 0.01, \"max\": \"x\", \"max_step\": 0.1, \"cooldown\": 5}}}"));
        assertEquals("adaptive.json: knobs.lr.initial: must be a number from min (0.01) to max (2), got 3",
                error("{\"knobs\": {\"lr\": {\"min\": 0.01, \"max\": 2, \"initial\": 3, \"max_step\": 0.1,"
                        + " \"cooldown\": 5}}}"));
        assertEquals("adaptive.json: knobs.lr.max_step: missing; must be a number > 0 (natural-log units)",
                error("{\"knobs\": {\"lr\": {\"min\": 0.01, \"max\": 2, \"cooldown\": 5}}}"));
        assertEquals("adaptive.json: knobs.anchor.min: must be a number >= 0, got -1",
                error("{\"knobs\": {\"anchor\": {\"min\": -1, \"max\": 2, \"max_step\": 0.1, \"cooldown\": 5}}}"));
        assertEquals("adaptive.json: knobs.clip.cooldown: must be an integer >= 0, got 1.5",
                error("{\"knobs\": {\"clip\": {\"min\": 0.5, \"max\": 2, \"max_step\": 0.1, \"cooldown\": 1.5}}}"));
        assertEquals("adaptive.json: knobs.learning_rate: unknown knob; knobs are lr, momentum, weight_decay, clip,"
                + " micro_batches, anchor", error("{\"knobs\": {\"learning_rate\": {}}}"));
        assertEquals("adaptive.json: knobs.lr.step: unknown field; fields here are cooldown, initial, max, max_step,"
                + " min", error("{\"knobs\": {\"lr\": {\"step\": 1}}}"));
        assertEquals("adaptive.json: knbos: unknown field; fields here are arbiter, calibration, controllers, knobs,"
                + " name, probes, recovery, ring, signals, trials", error("{\"knbos\": {}, \"knobs\": {" + LR + "}}"));
        assertEquals("adaptive.json: calibration.factor: must be a number > 1, got 1",
                error("{\"calibration\": {\"at\": 0.1, \"factor\": 1}}"));
        assertEquals("adaptive.json: calibration.at: must be a number in [0, 1) (0: never), got 1",
                error("{\"calibration\": {\"at\": 1}}"));
        assertEquals("adaptive.json: calibration.max_moves: must be an integer from 1 to 16, got 17",
                error("{\"calibration\": {\"max_moves\": 17}}"));
        assertEquals("adaptive.json: calibration.every: unknown field; fields here are at, factor, margin, max_moves,"
                + " min_steps, steps", error("{\"calibration\": {\"every\": 5}}"));
        assertEquals("adaptive.json: ring.capacity: must be an integer >= 0, got \"four\"",
                error("{\"ring\": {\"capacity\": \"four\"}}"));
        assertEquals("adaptive.json: recovery.lr_factor: must be a number in (0, 1], got 2",
                error("{\"recovery\": {\"lr_factor\": 2}}"));
        assertEquals("adaptive.json: arbiter.max_reversals: must be an integer >= 1, got 0",
                error("{\"arbiter\": {\"max_reversals\": 0}}"));
        assertEquals("adaptive.json: probes.hessian_iterations: must be an integer >= 1, got 0",
                error("{\"probes\": {\"hessian_iterations\": 0}}"));
        assertEquals("adaptive.json: controllers: must be an array of objects {\"type\": NAME, ...parameters}, got"
                + " {}", error("{\"controllers\": {}}"));
        assertEquals("adaptive.json: controllers[0].type: must be a non-empty string, got null",
                error("{\"controllers\": [{\"patience\": 3}]}"));
        String unknown = error("{\"controllers\": [{\"type\": \"plateau_lr\"}, {\"type\": \"nope\"}]}");
        assertTrue(unknown.startsWith("adaptive.json: controllers[1]") && unknown.contains("nope"), unknown);
        assertTrue(error("{\"knobs\": ").contains("adaptive.json"), "syntax errors name the file too");
    }

    @Test
    void filesAndPresetsResolve(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mine.json");
        Files.writeString(file, "{\"knobs\": {" + LR + "}}");
        RegimeSpec spec = RegimeSpec.resolve(file.toString());
        assertEquals("mine", spec.name());
        assertEquals(new KnobSpec(Knob.LR, 0.01, 2, 1, 0.1, 5), spec.knobs().get(Knob.LR));
        assertEquals(RegimeSpec.fixedKnobs().get(Knob.CLIP), spec.knobs().get(Knob.CLIP));
        Files.writeString(file, "{\"signals\": {\"warmup\": 30, \"family\": \"sgd\"}}");
        RegimeSpec withSignals = RegimeSpec.load(file);
        assertEquals(Map.of("warmup", 30.0, "family", "sgd"), withSignals.signals());
        assertEquals(withSignals, reread(withSignals));
        Files.writeString(file, "{\"ring\": {\"every\": 0}}");
        String msg = assertThrows(IllegalArgumentException.class, () -> RegimeSpec.load(file)).getMessage();
        assertEquals(file + ": ring.every: must be an integer >= 1, got 0", msg);
        assertEquals("regime 'nope' is neither a preset (static, adaptive, conservative, plateau) nor a regime file",
                assertThrows(IllegalArgumentException.class, () -> RegimeSpec.resolve("nope")).getMessage());
        assertEquals("unknown regime preset 'fast'; presets are static, adaptive, conservative, plateau",
                assertThrows(IllegalArgumentException.class, () -> RegimeSpec.preset("fast")).getMessage());
    }

    @Test
    void theStaticPresetIsTheScheduleAlone() {
        RegimeSpec s = RegimeSpec.preset("static");
        assertEquals(RegimeSpec.staticRegime(), s);
        Regime regime = Regime.of(s);
        for (int t = 0; t < 50; t++) {
            Decision d = regime.decide(t, Signals.of(Map.of(Signals.LOSS, t % 7 == 0 ? Double.NaN : 1.0)));
            assertEquals(Knobs.neutral(), d.knobs());
            assertTrue(d.changes().isEmpty() && !d.skip() && !d.rollback() && !d.snapshot());
        }
    }

    @Test
    void conservativeIsAdaptiveWithSmallerStepsAndLongerCooldowns() {
        RegimeSpec a = RegimeSpec.preset("adaptive");
        RegimeSpec c = RegimeSpec.preset("conservative");
        assertEquals(a.controllers(), c.controllers());
        assertEquals(List.of("caution_lr", "curvature_cap", "momentum", "plateau_lr", "shift", "spike",
                        "weight_decay", "zclip"),
                a.controllers().stream().map(RegimeSpec.ControllerSpec::type).sorted().toList());
        for (Knob k : Knob.values()) {
            KnobSpec ka = a.knobs().get(k);
            KnobSpec kc = c.knobs().get(k);
            assertTrue(kc.maxStep() <= ka.maxStep() && kc.cooldown() >= ka.cooldown(), k.key());
            assertEquals(List.of(ka.min(), ka.max(), ka.initial()), List.of(kc.min(), kc.max(), kc.initial()));
        }
        assertTrue(a.ring().capacity() > 0, "adaptive keeps snapshots to roll back to");
    }

    @Test
    void thePlateauPresetCutsTheLrByTheFactorInOneDecisionAtTheEvaluationThatExceedsPatience() {
        RegimeSpec spec = RegimeSpec.preset("plateau");
        assertEquals(List.of("reduce_on_plateau"),
                spec.controllers().stream().map(RegimeSpec.ControllerSpec::type).toList());
        Regime regime = Regime.of(spec);
        // A validation loss every 10 steps (at steps 10k + 1), flat after the first: with PyTorch's patience 10 the
        // 12th and the 23rd evaluations (steps 111 and 221) each exceed it; each cut is x0.1 in one decision.
        List<Long> cutSteps = new ArrayList<>();
        List<Double> cutTo = new ArrayList<>();
        for (int t = 0; t < 240; t++) {
            Map<String, Double> m = new HashMap<>(Map.of(Signals.LOSS, 1.0, Signals.GRAD_NORM, 1.0));
            if (t % 10 == 1) {
                m.put(Signals.VAL_LOSS, t == 1 ? 2.0 : 2.5);
            }
            Decision d = regime.decide(t, Signals.of(m));
            assertTrue(d.rejections().isEmpty() && !d.skip() && !d.rollback(), d.toString());
            for (Decision.Change c : d.changes()) {
                assertEquals(Knob.LR, c.knob());
                cutSteps.add(d.step());
                cutTo.add(c.now());
            }
        }
        assertEquals(List.of(111L, 221L), cutSteps);
        assertEquals(List.of(0.1, 0.1 * 0.1), cutTo);
    }

    @Test
    void presetsRoundTripThroughJson() {
        for (String name : List.of("static", "adaptive", "conservative", "plateau")) {
            RegimeSpec spec = RegimeSpec.preset(name);
            assertEquals(spec, reread(spec), name);
        }
    }

    @Test
    void randomSpecsRoundTripThroughJson() {
        qt().withFixedSeed(42).withExamples(100).forAll(longs().all())
                .checkAssert(seed -> {
                    RegimeSpec spec = Adversary.spec(seed);
                    assertEquals(spec, reread(spec));
                });
    }

    private static RegimeSpec reread(RegimeSpec spec) {
        String text = Json.write(spec.toJson());
        RegimeSpec back = RegimeSpec.fromJson((Map<?, ?>) Json.parse(text, "config.json"), "config.json: regime");
        assertEquals(text, Json.write(back.toJson()));
        return back;
    }
}
