package dev.tiller.policy;

import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.ProdigyHyper;
import dev.tiller.optim.ScheduleFreeAdamW;
import dev.tiller.optim.ScheduleFreeAdamWHyper;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.schedule.Schedule;
import dev.tiller.policy.recipe.Optimizers;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.state.RunSnapshot;
import dev.tiller.policy.state.RunSnapshotter;
import dev.tiller.policy.state.TensorSnapshot;
import dev.tiller.policy.state.TensorState;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every optimizer a recipe can name trains through the trainer; a snapshot at step K restored after K + N steps (an
 * evaluation among them) replays those steps bit for bit; Schedule-Free is evaluated at its x and its training bits
 * do not depend on evaluation; the factory's AdamW is the hand-built AdamW the static recipe always used.
 */
class TrainerOptimizersTest {
    private static final long K = 4;
    private static final long N = 4;

    private static GraphTask graph() {
        return new GraphTask(GraphDataset.stochasticBlockModel(2, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, 2);
    }

    /** The GPT recipe's numbers (warm-up 4 over 40 steps, decay 0.1 on matrices) with optimizer, on the graph. */
    private static Recipe recipe(String optimizer) {
        return Recipe.defaults("gpt", 40, null, optimizer);
    }

    private static Optimizers.Built<?> build(Task task, List<ParamRef> params, Recipe recipe) {
        List<String> decayed = task.model().decayed();
        List<ParamRef> decay = new ArrayList<>();
        List<ParamRef> noDecay = new ArrayList<>();
        for (ParamRef p : params) {
            (decayed.contains(p.name()) ? decay : noDecay).add(p);
        }
        assertFalse(decay.isEmpty() || noDecay.isEmpty(), "both groups are exercised");
        return Optimizers.build(recipe, 40, decay, noDecay, StatePrecision.F32, 3);
    }

    private static <H extends Record> Trainer<H> trainer(Optimizers.Built<H> b, Task task, List<ParamRef> params,
                                                        long steps, long evalEvery) {
        return b.trainer(task, params, GlobalNormClip.l2(1f), new Trainer.Settings(steps, 1, evalEvery));
    }

    private static double[] run(Trainer<?> t, TrainState<?> s, long to) {
        double[] losses = new double[(int) (to - s.step)];
        int i = 0;
        while (s.step < to) {
            stepAny(t, s);
            losses[i++] = s.lastLoss;
        }
        return losses;
    }

    @SuppressWarnings("unchecked")
    private static <H extends Record> void stepAny(Trainer<H> t, TrainState<?> s) {
        t.step((TrainState<H>) s);
    }

    @Test
    void everyOptimizerReplaysBitForBitFromASnapshotAcrossAnEvaluation(@TempDir Path dir) {
        for (String name : Recipe.OPTIMIZERS) {
            replay(name, dir.resolve(name));
        }
    }

    private static void replay(String name, Path dir) {
        GraphTask task = graph();
        List<ParamRef> params = Trainer.paramRefs(task);
        Optimizers.Built<?> b = build(task, params, recipe(name));
        Trainer<?> t = trainer(b, task, params, 20, 3);     // evaluations after steps 6 and 9: inside K..K + N
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<?> s = t.start(log, null)) {
            run(t, s, K);
            RunSnapshotter snapshotter = RunSnapshotter.builder(task.model(), params, s.optimizer())
                    .clip(s.clipper()).cursor(s.dataCursor()).build();
            Record lastAtK = s.lastUpdate;
            try (RunSnapshot at = snapshotter.snapshot()) {
                double[] first = run(t, s, K + N);
                assertTrue(s.lastEval.containsKey("val_loss"), name + ": an evaluation ran after step 6");
                try (TensorSnapshot p = TensorSnapshot.of(TensorState.ofParams(params).live());
                     TensorSnapshot o = TensorSnapshot.of(s.optimizer().state())) {
                    assertFalse(at.parameters().sameBits(p.tensors()), name + ": the steps changed nothing");
                    snapshotter.restore(at);
                    s.step = K;
                    setLast(s, lastAtK);
                    double[] second = run(t, s, K + N);
                    assertArrayEquals(bits(first), bits(second), name + ": losses " + Arrays.toString(first)
                            + " vs " + Arrays.toString(second));
                    assertTrue(p.sameBits(TensorState.ofParams(params).live()), name + ": parameters");
                    assertTrue(o.sameBits(s.optimizer().state()), name + ": optimizer state");
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <H extends Record> void setLast(TrainState<H> s, Record last) {
        s.lastUpdate = (H) last;
    }

    /** At published defaults on the GCN recipe: the loss falls and validation beats chance (3 equal blocks). */
    @Test
    void everyOptimizerLearnsTheTinyTask(@TempDir Path dir) throws IOException {
        for (String name : Recipe.OPTIMIZERS) {
            GraphTask task = graph();
            List<ParamRef> params = Trainer.paramRefs(task);
            Trainer<?> t = trainer(build(task, params, Recipe.defaults("gcn", 40, null, name)), task, params, 40, 10);
            Trainer.Summary sum;
            try (RunLog log = new RunLog(dir.resolve(name), Map.of())) {
                sum = t.run(log, null);
            }
            List<String> rows = Files.readAllLines(dir.resolve(name).resolve("metrics.jsonl"));
            assertEquals(40, rows.size(), name);
            double start = Double.parseDouble(rows.get(0).replaceAll(".*\"train_loss\":([^,}]*).*", "$1"));
            assertTrue(sum.finalTrainLoss() < start, name + ": loss " + start + " -> " + sum.finalTrainLoss());
            assertTrue(sum.finalEval().get("val_accuracy") > 1.0 / 3, name + ": no better than chance over 3 blocks, "
                    + sum.finalEval());
            assertEquals(0, sum.skippedSteps(), name);
        }
    }

    /** Schedule-Free's validation loss is the model's at x = (y - (1 - b1) z) / b1, computed here independently. */
    @Test
    void scheduleFreeIsEvaluatedAtXAndTrainsAtY(@TempDir Path dir) {
        GraphTask task = graph();
        List<ParamRef> params = Trainer.paramRefs(task);
        @SuppressWarnings("unchecked")
        Optimizers.Built<ScheduleFreeAdamWHyper> b =
                (Optimizers.Built<ScheduleFreeAdamWHyper>) build(task, params, recipe("schedule-free-adamw"));
        Trainer<ScheduleFreeAdamWHyper> t = trainer(b, task, params, 12, 6);
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<ScheduleFreeAdamWHyper> s = t.start(log, null)) {
            while (s.step < 6) {
                t.step(s);
            }
            double logged = s.lastEval.get("val_loss");
            float b1 = s.lastUpdate.b1();
            assertEquals(0.9f, b1);
            ScheduleFreeAdamW opt = (ScheduleFreeAdamW) s.optimizer();
            List<Tensor> y = new ArrayList<>();
            for (ParamRef p : params) {
                y.add(p.value().copy());
            }
            double atY = evaluate(task);
            for (ParamRef p : params) {
                Tensor x = Tensor.zeros(p.value().shape());
                opt.evalParams(p, b1, x);
                p.value().copyFrom(x);
            }
            double atX = evaluate(task);
            for (int i = 0; i < params.size(); i++) {
                params.get(i).value().copyFrom(y.get(i));
            }
            assertEquals(Double.doubleToRawLongBits(atX), Double.doubleToRawLongBits(logged), "logged " + logged
                    + ", at x " + atX + ", at y " + atY);
            assertNotEquals(atY, atX, "x and y differ after 6 steps");
            String sample = t.atEvalPoint(s, () -> Double.toString(evaluate(task)));
            assertEquals(Double.toString(atX), sample, "the end-of-run uses see x too");
            for (int i = 0; i < params.size(); i++) {
                assertTrue(TensorSnapshot.sameBits(y.get(i), params.get(i).value()), "y is back after the swap");
            }
        }
    }

    private static double evaluate(Task task) {
        task.model().train(false);
        try {
            return task.evaluate(5).get("val_loss");
        } finally {
            task.model().train(true);
        }
    }

    /** Evaluating every step or only at the end: the same losses, weights and optimizer state, bit for bit. */
    @Test
    void scheduleFreeTrainingBitsDoNotDependOnEvaluation(@TempDir Path dir) {
        List<double[]> losses = new ArrayList<>();
        List<List<float[]>> weights = new ArrayList<>();
        List<List<float[]>> states = new ArrayList<>();
        for (long every : new long[] {1, 0}) {
            GraphTask task = graph();
            List<ParamRef> params = Trainer.paramRefs(task);
            Trainer<?> t = trainer(build(task, params, recipe("schedule-free-adamw")), task, params, 10, every);
            try (RunLog log = new RunLog(dir.resolve("every" + every), Map.of()); TrainState<?> s = t.start(log,
                    null)) {
                losses.add(run(t, s, 10));
                weights.add(params.stream().map(p -> p.value().toFloatArray()).toList());
                states.add(s.optimizer().state().values().stream().map(Tensor::toFloatArray).toList());
            }
        }
        assertArrayEquals(bits(losses.get(0)), bits(losses.get(1)));
        for (int i = 0; i < weights.get(0).size(); i++) {
            assertArrayEquals(weights.get(0).get(i), weights.get(1).get(i), "parameter " + i);
        }
        for (int i = 0; i < states.get(0).size(); i++) {
            assertArrayEquals(states.get(0).get(i), states.get(1).get(i), "state " + i);
        }
    }

    /** The factory's AdamW trains what the hand-built AdamW of the static recipe trained, row for row. */
    @Test
    void theFactorysAdamWIsTheStaticRecipesAdamW(@TempDir Path dir) throws IOException {
        Recipe recipe = recipe("adamw");
        List<List<String>> rows = new ArrayList<>();
        for (boolean factory : new boolean[] {true, false}) {
            GraphTask task = graph();
            List<ParamRef> params = Trainer.paramRefs(task);
            Trainer<?> t;
            if (factory) {
                t = trainer(build(task, params, recipe), task, params, 12, 4);
            } else {
                List<ParamRef> decay = new ArrayList<>();
                List<ParamRef> noDecay = new ArrayList<>();
                for (ParamRef p : params) {
                    (task.model().decayed().contains(p.name()) ? decay : noDecay).add(p);
                }
                AdamWHyper base = recipe.hyper();
                AdamW opt = new AdamW(List.of(ParamGroup.of("decay", decay),
                        new ParamGroup<>("no_decay", noDecay, h -> h.withWeightDecay(0f))),
                        Map.of("exp_avg", StatePrecision.F32, "exp_avg_sq", StatePrecision.F32), null, 3,
                        Amsgrad.WITHOUT_MAX_STATE);
                Schedule lr = recipe.lrSchedule(40);
                t = new Trainer<>(task, opt, params, s -> base.withLr((float) lr.at(s)), KnobBinding.adamW(),
                        GlobalNormClip.l2(1f), new Trainer.Settings(12, 1, 4));
            }
            Path out = dir.resolve(factory ? "factory" : "hand");
            try (RunLog log = new RunLog(out, Map.of())) {
                t.run(log, null);
            }
            rows.add(Files.readAllLines(out.resolve("metrics.jsonl")).stream()
                    .map(r -> r.replaceAll(",?\"(?:[a-z]+_per_s|train_cpu_s)\":[^,}]*", "")).toList());
        }
        assertEquals(rows.get(1), rows.get(0));
    }

    @Test
    void neutralKnobsLeaveTheRecordsBitForBitAndBetasStayValid() {
        ScheduleFreeAdamWHyper sf = new ScheduleFreeAdamWHyper(2.5e-3f, 0, 0.9f, 0.999f, 1e-8f, 0.1f, 2f);
        KnobBinding<ScheduleFreeAdamWHyper> bs = KnobBinding.scheduleFreeAdamW();
        assertEquals(sf, bs.bind(sf, Knobs.neutral()));
        ScheduleFreeAdamWHyper moved = bs.bind(sf, Knobs.neutral().with(Knob.LR, 2).with(Knob.MOMENTUM, 2)
                .with(Knob.WEIGHT_DECAY, 0.5));
        assertEquals((float) (2.5e-3f * 2.0), moved.lr());
        assertEquals((float) (1 - (1 - 0.9f) * 2.0), moved.b1());
        assertEquals((float) (0.1f * 0.5), moved.weightDecay());
        assertTrue(bs.bind(sf, Knobs.neutral().with(Knob.MOMENTUM, 20.0)).b1() > 0f, "x is recovered by dividing"
                + " by b1");
        assertEquals(Map.of("lr", 2.5e-3f, "momentum", 0.9f, "weight_decay", 0.1f), bs.effective(sf));
        assertEquals((float) (2.5e-3f * 10.0), bs.scaleLr(sf, 10).lr());

        ProdigyHyper pr = ProdigyHyper.of(1f).withWeightDecay(0.1f).withBiasCorrection(false);
        KnobBinding<ProdigyHyper> bp = KnobBinding.prodigy();
        assertEquals(pr, bp.bind(pr, Knobs.neutral()));
        ProdigyHyper pm = bp.bind(pr, Knobs.neutral().with(Knob.LR, 0.5).with(Knob.MOMENTUM, 0.0));
        assertEquals(0.5f, pm.lr());
        assertEquals(Math.nextDown(1f), pm.beta1());
        assertFalse(pm.biasCorrection(), "the options ride along");
        assertEquals(Map.of("lr", 1f, "momentum", 0.9f, "weight_decay", 0.1f), bp.effective(pr));
        assertEquals(100f, bp.scaleLr(pr, 100).lr());
    }

    private static long[] bits(double[] xs) {
        return Arrays.stream(xs).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
