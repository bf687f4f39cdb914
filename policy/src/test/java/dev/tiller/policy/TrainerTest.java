package dev.tiller.policy;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ConvNet;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.ImageTask;
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
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    private static GraphTask smallGraph(long seed) {
        return new GraphTask(GraphDataset.stochasticBlockModel(seed, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, seed);
    }

    private static Trainer.Summary train(Task task, long steps, Path dir) {
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, s -> h, KnobBinding.adamW(),
                GlobalNormClip.l2(1f), new Trainer.Settings(steps, 1, 5));
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
        Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("config.json")), "config");
        assertTrue(config.containsKey("test"), config.toString());
        List<String> events = Files.readAllLines(dir.resolve("events.jsonl"));
        assertTrue(events.get(0).contains("run_start") && events.get(events.size() - 1).contains("run_end"), events
                .toString());
        assertEquals(0, s.skippedSteps());
    }

    /**
     * One task per model family, each large enough that its parallel loops cut into several chunks (Parallel: a
     * loop splits when its size passes its grain; element-wise and fused-optimizer loops at 16384 elements, row
     * loops at 16384 / row length rows, GEMM into at least 4 tiles from 2 x 8 x MR rows, LayerNorm's parameter
     * gradient past 64 columns, the embedding gradient past 64 vocabulary rows, CSR products past 4096 / columns
     * rows). The GPT: 8 x 64 tokens of width 128 (65536-element activations, 2048 attention rows of 64, 32
     * attention slices). The convnet: 16 images 28 x 28, so pooling and per-channel loops split. The GCN: 2000
     * nodes of 32 features.
     */
    private static List<Supplier<Task>> splittingTasks() {
        return List.of(
                () -> new GptTask(TextCorpus.synthetic(7, 1 << 16), new GptConfig(256, 64, 128, 2, 4, 0.1f), 8, 7, 1),
                () -> {
                    ConvNet m = new ConvNet(new Init(7), 1, 28, 28, Shapes.CLASSES, 0.25);
                    return new ImageTask("convnet", Shapes.make(7, 0, 64, 28), Shapes.make(7, 1 << 20, 32, 28), m,
                            m::forward, 16, 7);
                },
                () -> new GraphTask(GraphDataset.stochasticBlockModel(7, 2000, 4, 0.01, 0.001, 32, 0.5), 64, 2, 7));
    }

    @Test
    void metricsAreBitwiseIdenticalForOneTwoAndFourThreads(@TempDir Path dir) throws IOException {
        int old = Parallel.threads();
        try {
            List<Supplier<Task>> tasks = splittingTasks();
            for (int k = 0; k < tasks.size(); k++) {
                List<String> first = null;
                for (int threads : new int[] {1, 2, 4}) {
                    Parallel.setThreads(threads);
                    Path run = dir.resolve(k + "-t" + threads);
                    train(tasks.get(k).get(), 4, run);
                    List<String> rows = withoutRates(Files.readAllLines(run.resolve("metrics.jsonl")));
                    assertEquals(4, rows.size(), run.toString());
                    if (first == null) {
                        first = rows;
                    } else {
                        // line by line: loss, lr, gradient norm and eval written as the shortest decimal that
                        // round-trips, so equal text is equal bits
                        assertEquals(first, rows, "task " + k + " with " + threads + " threads vs 1");
                    }
                }
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    /** The rows without their one wall-clock field (items per second); every other field must match exactly. */
    private static List<String> withoutRates(List<String> rows) {
        return rows.stream().map(r -> r.replaceAll(",?\"(?:[a-z]+_per_s|train_cpu_s)\":[^,}]*", "")).toList();
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
            public Variable trainLoss(long step, long cursor) {
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
