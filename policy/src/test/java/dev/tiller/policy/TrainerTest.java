package dev.tiller.policy;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    private static GraphTask smallGraph(long seed) {
        return new GraphTask(GraphDataset.stochasticBlockModel(seed, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, seed);
    }

    private static Trainer.Summary train(Task task, long steps, Path dir) {
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, s -> h, GlobalNormClip.l2(1f),
                new Trainer.Settings(steps, 1, 5));
        try (RunLog log = new RunLog(dir, Map.of("test", true))) {
            return t.run(log, null);
        }
    }

    @Test
    void aRunLearnsAndLeavesACompleteRunFolder(@TempDir Path dir) throws IOException {
        Trainer.Summary s = train(smallGraph(1), 30, dir);
        List<String> rows = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(30, rows.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) Json.parse(rows.get(0), "metrics");
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) Json.parse(rows.get(29), "metrics");
        assertEquals(1.0, first.get("step"));
        assertTrue((Double) last.get("train_loss") < 0.7 * (Double) first.get("train_loss"),
                "loss " + first.get("train_loss") + " -> " + last.get("train_loss"));
        assertTrue(last.containsKey("val_loss") && last.containsKey("val_accuracy"), last.toString());
        assertTrue(((Map<?, ?>) Json.parse(Files.readString(dir.resolve("config.json")), "config")).containsKey("test"));
        List<String> events = Files.readAllLines(dir.resolve("events.jsonl"));
        assertTrue(events.get(0).contains("run_start") && events.get(events.size() - 1).contains("run_end"), events
                .toString());
        assertEquals(0, s.skippedSteps());
    }

    @Test
    void metricsAreBitwiseIdenticalForOneAndTwoThreads(@TempDir Path dir) throws IOException {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(1);
            train(smallGraph(3), 8, dir.resolve("t1"));
            Parallel.setThreads(2);
            train(smallGraph(3), 8, dir.resolve("t2"));
        } finally {
            Parallel.setThreads(old);
        }
        List<String> a = Files.readAllLines(dir.resolve("t1/metrics.jsonl"));
        List<String> b = Files.readAllLines(dir.resolve("t2/metrics.jsonl"));
        for (int i = 0; i < a.size(); i++) {
            // the rate column is wall-clock; every other field (loss, lr, norm, eval) must match exactly
            assertEquals(a.get(i).replaceAll(",\"samples_per_s\":[^,}]*", ""),
                    b.get(i).replaceAll(",\"samples_per_s\":[^,}]*", ""), "row " + i);
        }
    }

    @Test
    void aNonFiniteGradientSkipsTheUpdateAndSaysSo(@TempDir Path dir) throws IOException {
        Task nan = new Task() {
            final Module m = new Module() {
                final Variable w = param("w", Tensor.ones(3), true);
            };

            @Override
            public String name() {
                return "nan";
            }

            @Override
            public Module model() {
                return m;
            }

            @Override
            public Variable trainLoss(long step, int micro) {
                Variable w = m.namedParameters().get("w");
                if (step == 0) {                               // zero gradient: AdamW leaves w at exactly 1
                    return F.sum(F.scale(w, 0f));
                }
                if (step == 1) {                               // w = 1: sqrt(w - 1) = 0, gradient 1/(2*0) = inf
                    return F.sum(F.sqrt(F.addScalar(w, -1f)));
                }
                if (step == 2) {                               // log(-w) = NaN with a finite gradient 1/w
                    return F.sum(F.log(F.scale(w, -1f)));
                }
                return F.sum(F.mul(w, w));
            }

            @Override
            public Map<String, Double> evaluate() {
                return Map.of();
            }

            @Override
            public long itemsPerMicroBatch() {
                return 1;
            }

            @Override
            public String unit() {
                return "samples";
            }

            @Override
            public Map<String, Object> describe() {
                return Map.of();
            }
        };
        Trainer.Summary s = train(nan, 4, dir);
        assertEquals(2, s.skippedSteps());
        String events = Files.readString(dir.resolve("events.jsonl"));
        assertTrue(events.contains("\"step\":2,\"event\":\"skipped_step\",\"reason\":\"non-finite gradient norm"),
                events);
        assertTrue(events.contains("\"step\":3,\"event\":\"skipped_step\",\"reason\":\"non-finite loss"), events);
        float[] w = nan.model().namedParameters().get("w").value().toFloatArray();
        for (float v : w) {
            assertTrue(Float.isFinite(v), "weights must stay finite: " + Arrays.toString(w));
        }
    }

    @Test
    void stepsAfterTheFirstReserveNoNewOffHeapMemory(@TempDir Path dir) {
        long two = train(smallGraph(5), 2, dir.resolve("a")).poolReservedBytes();
        long six = train(smallGraph(5), 6, dir.resolve("b")).poolReservedBytes();
        assertEquals(two, six);
    }
}
