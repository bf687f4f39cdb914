package dev.tiller.policy;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.probe.StepProbes;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.TensorSnapshot;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN, +Inf and -Inf injected into the loss, a gradient or an activation at 500 random steps: each is caught before
 * any parameter or optimizer state changes (the bits after the step are those before it), the step is skipped and
 * the skip is logged with its reason; under the adaptive regime the step is skipped or rolled back, and logged.
 */
class NonFiniteInjectionTest {
    enum Site { LOSS, GRADIENT, ACTIVATION }

    private static final float[] VALUES = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    /** What to inject at a step. */
    private record Shot(Site site, float value) {}

    /** A two-layer perceptron on fixed random data, whose hidden activation or loss can be poisoned at chosen steps. */
    private static final class Tiny implements Task {
        final Map<Long, Shot> plan;
        final Module m = new Module() {
        };
        final Variable w1;
        final Variable w2;

        Tiny(Map<Long, Shot> plan) {
            this.plan = plan;
            this.w1 = Variable.param("w1", Tensor.normal(1, 1, 0, 0.3f, 8, 16));
            this.w2 = Variable.param("w2", Tensor.normal(1, 2, 0, 0.3f, 16, 4));
        }

        @Override
        public String name() {
            return "tiny";
        }

        @Override
        public Module model() {
            return m;
        }

        @Override
        public Variable trainLoss(long step, long cursor) {
            Variable x = Variable.constant(Tensor.normal(7, 100 + cursor, 0, 1, 8, 8));
            int[] labels = new int[8];
            for (int i = 0; i < 8; i++) {
                labels[i] = (int) ((cursor + i) % 4);
            }
            Variable h = F.relu(F.matmul(x, w1));
            Shot shot = plan.get(step);
            if (shot != null && shot.site() == Site.ACTIVATION) {
                h = F.scale(h, shot.value());      // every hidden activation becomes non-finite (or NaN where 0)
            }
            Variable loss = F.crossEntropy(F.matmul(h, w2), Tensor.ofInts(labels, 8));
            if (shot != null && shot.site() == Site.LOSS) {
                loss = F.add(loss, Variable.constant(Tensor.scalar(shot.value())));
            }
            return loss;
        }

        @Override
        public Map<String, Double> evaluate() {
            return Map.of();
        }

        @Override
        public long itemsPerMicroBatch() {
            return 8;
        }

        @Override
        public String unit() {
            return "samples";
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of();
        }
    }

    /** 500 shots at random steps, never more than two non-finite steps in a row (the static run stops at five). */
    private static Map<Long, Shot> plan(long seed, int shots) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Long, Shot> plan = new LinkedHashMap<>();
        long t = 0;
        int run = 0;
        while (plan.size() < shots) {
            int gap = 1 + rnd.nextInt(3);
            run = gap == 1 ? run + 1 : 0;
            if (run == 2) {
                gap = 2;
                run = 0;
            }
            t += gap;
            plan.put(t, new Shot(Site.values()[rnd.nextInt(3)], VALUES[rnd.nextInt(3)]));
        }
        return plan;
    }

    private static Trainer<AdamWHyper> trainer(Tiny task, List<ParamRef> params, long steps, Map<Long, Shot> plan) {
        AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, false, false);
        StepProbes none = StepProbes.none();
        StepProbes gradients = new StepProbes() {
            @Override
            public void beforeStep(long step, Task t, List<ParamRef> ps) {}

            @Override
            public void afterMicroBatch(long step, int micro, Task t, List<ParamRef> ps) {
                Shot shot = plan.get(step);
                if (shot != null && shot.site() == Site.GRADIENT) {
                    Tensor g = ps.get((int) (step % ps.size())).grad();
                    g.segment().setAtIndex(ValueLayout.JAVA_FLOAT, g.offset() + step % g.numel(),
                            shot.value());
                }
            }

            @Override
            public void afterBackward(long step, Task t, List<ParamRef> ps) {}

            @Override
            public void afterUpdate(long step, boolean applied, List<ParamRef> ps) {}

            @Override
            public Signals collect(long step) {
                return none.collect(step);
            }

            @Override
            public Map<String, Long> costNanos() {
                return none.costNanos();
            }
        };
        return new Trainer<>(task, new AdamW(params), params, x -> h, KnobBinding.adamW(), GlobalNormClip.l2(1f),
                new Trainer.Settings(steps, 1, 0)).probes(p -> gradients);
    }

    @Test
    void everyInjectionIsCaughtBeforeAnyStateChangesAndLogged(@TempDir Path dir) throws IOException {
        Map<Long, Shot> plan = plan(500, 500);
        long steps = plan.keySet().stream().mapToLong(Long::longValue).max().orElseThrow() + 2;
        Tiny task = new Tiny(plan);
        List<ParamRef> params = List.of(ParamRef.of("w1", task.w1), ParamRef.of("w2", task.w2));
        Trainer<AdamWHyper> t = trainer(task, params, steps, plan);
        Map<Site, Integer> caught = new EnumMap<>(Site.class);
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<AdamWHyper> s = t.start(log, null)) {
            while (s.step() < steps) {
                long step = s.step();
                Shot shot = plan.get(step);
                if (shot == null) {
                    t.step(s);
                    continue;
                }
                Map<String, Tensor> live = new HashMap<>();
                params.forEach(p -> live.put(p.name(), p.value()));
                long stepCount = s.optimizer().stepCount();
                try (TensorSnapshot before = TensorSnapshot.of(live);
                     TensorSnapshot state = TensorSnapshot.of(s.optimizer().state())) {
                    long skipped = s.skippedSteps();
                    t.step(s);
                    assertTrue(before.sameBits(live), shot + " at step " + step + " changed a parameter");
                    assertTrue(state.sameBits(s.optimizer().state()), shot + " at step " + step
                            + " changed the optimizer state");
                    assertEquals(stepCount, s.optimizer().stepCount(), shot + " at step " + step);
                    assertEquals(skipped + 1, s.skippedSteps(), shot + " at step " + step + " was not skipped");
                }
                caught.merge(shot.site(), 1, Integer::sum);
            }
        }
        long logged = Files.readAllLines(dir.resolve("events.jsonl")).stream()
                .filter(l -> l.contains("\"event\":\"skipped_step\"") && l.contains("non-finite")).count();
        System.out.printf("non-finite injections: %d caught before any state changed (%s), %d skips logged%n",
                plan.size(), caught, logged);
        assertEquals(500, caught.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(500, logged);
    }

    @Test
    void theAdaptiveRegimeSkipsOrRollsBackEachAndLogsIt(@TempDir Path dir) throws IOException {
        Map<Long, Shot> plan = plan(501, 100);
        long steps = plan.keySet().stream().mapToLong(Long::longValue).max().orElseThrow() + 2;
        Tiny task = new Tiny(plan);
        List<ParamRef> params = List.of(ParamRef.of("w1", task.w1), ParamRef.of("w2", task.w2));
        Trainer<AdamWHyper> t = trainer(task, params, steps, plan).regime(RegimeSpec.preset("adaptive"));
        try (RunLog log = new RunLog(dir, Map.of())) {
            t.run(log, null);
        }
        List<String> events = Files.readAllLines(dir.resolve("events.jsonl"));
        for (long step : plan.keySet()) {
            String at = "{\"step\":" + (step + 1) + ",";
            assertTrue(events.stream().anyMatch(l -> l.startsWith(at) && (l.contains("\"event\":\"skipped_step\"")
                    || l.contains("\"event\":\"rollback\""))), plan.get(step) + " at step " + step
                    + " was neither skipped nor rolled back");
        }
        for (ParamRef p : params) {
            for (float v : p.value().toFloatArray()) {
                assertTrue(Float.isFinite(v), p.name());
            }
        }
    }
}
