package dev.tiller.policy.task;

import dev.tiller.models.arch.Mlp;
import dev.tiller.models.data.ByteWindows;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.ShiftingStream.ImagePhase;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.state.SampleCursor;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The image and GPT tasks on shifting streams: batches per phase, determinism, and the trainer's phase logging. */
class ShiftingStreamTaskTest {
    private static final int SIZE = 8;

    /** Shapes classes {0, 1} before step shiftAt, {2, 3} from it on, with a small MLP. */
    private static ImageTask shapesTask(long seed, long shiftAt) {
        ShiftingStream<ImagePhase> s = ShiftingStream.classSubsets("shapes-shift", Shapes.make(seed, 0, 400, SIZE),
                Shapes.make(seed, 1 << 20, 120, SIZE), List.of(new int[] {0, 1}, new int[] {2, 3}), shiftAt);
        return imageTask(s, seed);
    }

    private static ImageTask imageTask(ShiftingStream<ImagePhase> s, long seed) {
        ImageDataset t = s.phase(0).train();
        Mlp m = new Mlp(new Init(seed), t.channels() * t.height() * t.width(), new int[] {16}, t.classes(),
                Activation.RELU);
        return new ImageTask("mlp-" + s.name(), s, m, m::forward, 16, seed);
    }

    private static void assertLabelsIn(ImageDataset.Batch b, int[] classes, String where) {
        for (int y : b.labels().toIntArray()) {
            assertTrue(Arrays.stream(classes).anyMatch(c -> c == y), where + ": label " + y + " not in "
                    + Arrays.toString(classes));
        }
    }

    @Test
    void imageBatchesComeFromTheActivePhaseAndArePureFunctionsOfTheCursor() {
        ImageTask a = shapesTask(3, 10);
        ImageTask restored = shapesTask(3, 10);      // a fresh task, as after a restart: no carried state
        SampleCursor cursor = new SampleCursor(a);
        for (long step = 0; step < 30; step++) {
            for (int micro = 0; micro < 2; micro++) {
                long c0 = cursor.next(step);
                assertEquals(step < 10 ? 2 * step + micro : 2 * (step - 10) + micro, c0, "step " + step);
                ImageDataset.Batch b = a.trainBatch(step, c0);
                assertLabelsIn(b, step < 10 ? new int[] {0, 1} : new int[] {2, 3}, "step " + step);
                ImageDataset.Batch c = restored.trainBatch(step, c0);
                assertArrayEquals(b.inputs().toFloatArray(), c.inputs().toFloatArray(), "step " + step);
                assertArrayEquals(b.labels().toIntArray(), c.labels().toIntArray(), "step " + step);
            }
        }
        assertTrue(a.shift().isPresent());
    }

    @Test
    void aOnePhaseStreamDrawsWhatThePlainImageTaskDraws() {
        ImageDataset train = Shapes.make(4, 0, 200, SIZE);
        ImageDataset val = Shapes.make(4, 1 << 20, 50, SIZE);
        Mlp m = new Mlp(new Init(4), SIZE * SIZE, new int[] {8}, Shapes.CLASSES, Activation.RELU);
        ImageTask plain = new ImageTask("plain", train, val, m, m::forward, 16, 4);
        ImageTask shifted = imageTask(ShiftingStream.classSubsets("all", train, val,
                List.of(new int[] {0, 1, 2, 3}, new int[] {0, 1, 2, 3}), 1000), 4);
        for (long step = 0; step < 30; step++) {       // several epochs of 12 batches
            // independent reference: the epoch permutation walk the task used before streams existed; with one
            // micro-batch per step the cursor is the step
            long k = step;
            int perEpoch = train.size() / 16;
            ImageDataset.Batch ref = train.batch(4, (int) (k / perEpoch), (int) (k % perEpoch) * 16,
                    (int) (k % perEpoch) * 16 + 16);
            assertArrayEquals(ref.labels().toIntArray(), plain.trainBatch(step, step).labels().toIntArray());
            assertArrayEquals(ref.inputs().toFloatArray(), shifted.trainBatch(step, step).inputs().toFloatArray());
        }
        assertTrue(plain.shift().isEmpty());
        assertEquals(200, plain.describe().get("train_examples"));
    }

    @Test
    void fashionMnistPhasesHoldTheirClasses() {
        Assumptions.assumeTrue(Files.isDirectory(ImageDataset.FASHION_MNIST),
                "Fashion-MNIST not installed in " + ImageDataset.FASHION_MNIST + " (scripts/install-datasets.sh)");
        ShiftingStream<ImagePhase> s = ShiftingStream.classSubsets("fashion-mnist-shift",
                ImageDataset.fashionMnist(true), ImageDataset.fashionMnist(false),
                List.of(new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}), 3);
        assertEquals(30_000, s.phase(0).train().size());
        assertEquals(5_000, s.phase(1).val().size());      // 1000 test images per class
        ImageTask t = imageTask(s, 0);
        for (long step = 0; step < 8; step++) {
            assertLabelsIn(t.trainBatch(step, step < 3 ? step : step - 3),
                    step < 3 ? new int[] {0, 1, 2, 3, 4} : new int[] {5, 6, 7, 8, 9}, "step " + step);
        }
    }

    @Test
    void gptWindowsComeFromTheActiveModule() {
        Path srcZip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        Assumptions.assumeTrue(Files.isRegularFile(srcZip), "this JDK has no " + srcZip + ": the JDK-source corpora"
                + " need one (Temurin ships it; Debian's OpenJDK has it in openjdk-NN-source)");
        ShiftingStream<TextCorpus> s = ShiftingStream.jdkModules("jdk-shift-test",
                List.of("java.base/java/util/function/", "java.sql/"), 4);
        GptConfig cfg = new GptConfig(256, 48, 16, 1, 1, 0f);
        GptTask t = new GptTask(s, cfg, 8, 11, 1);
        GptTask restored = new GptTask(s, cfg, 8, 11, 1);
        String util = new String(s.phase(0).train(), StandardCharsets.ISO_8859_1);
        String sql = new String(s.phase(1).train(), StandardCharsets.ISO_8859_1);
        int sqlOnly = 0;
        for (long step = 0; step < 8; step++) {
            long c = step < 4 ? step : step - 4;
            ByteWindows.Batch b = t.trainBatch(step, c);
            assertArrayEquals(b.inputs().toIntArray(), restored.trainBatch(step, c).inputs().toIntArray());
            int[] in = b.inputs().toIntArray();
            for (int w = 0; w < 8; w++) {
                StringBuilder window = new StringBuilder();
                for (int i = 0; i < 48; i++) {
                    window.append((char) in[w * 48 + i]);
                }
                String own = step < 4 ? util : sql;
                assertTrue(own.contains(window), "step " + step + " window " + w + " is not from its module");
                sqlOnly += step >= 4 && !util.contains(window) ? 1 : 0;
            }
        }
        assertTrue(sqlOnly > 0, "no window after the shift is specific to java.sql");
        assertTrue(t.name().equals("gpt-jdk-shift-test") && t.shift().isPresent());
        assertArrayEquals(new long[] {4}, (long[]) t.describe().get("shift_steps"));
    }

    @Test
    void theTrainerLogsPhaseChangesAndPerPhaseValidation(@TempDir Path dir) throws IOException {
        ImageTask task = shapesTask(5, 3);
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, s -> h, KnobBinding.adamW(),
                GlobalNormClip.l2(1f), new Trainer.Settings(6, 2, 3));
        try (RunLog log = new RunLog(dir, task.describe())) {
            t.run(log, null);
        }
        List<String> events = Files.readAllLines(dir.resolve("events.jsonl"));
        List<String> changes = events.stream().filter(e -> e.contains("phase_change")).toList();
        assertEquals(1, changes.size(), events.toString());
        assertTrue(changes.get(0).startsWith("{\"step\":3,\"event\":\"phase_change\",\"from\":0,\"to\":1,\"data\":"
                + "{\"phase\":1,\"from_step\":3,\"classes\":[2,3]"), changes.get(0));
        List<String> rows = Files.readAllLines(dir.resolve("metrics.jsonl"));
        for (int i = 0; i < rows.size(); i++) {
            Map<?, ?> r = (Map<?, ?>) Json.parse(rows.get(i), "metrics");
            assertEquals(i < 3 ? 0.0 : 1.0, r.get("phase"), rows.get(i));
            if (i == 2 || i == 5) {      // evaluations after steps 3 and 6: phase 0 was active, then phase 1
                assertEquals(r.get(i == 2 ? "val_loss_phase0" : "val_loss_phase1"), r.get("val_loss"), rows.get(i));
                assertTrue(r.containsKey("val_accuracy_phase0") && r.containsKey("val_accuracy_phase1"), rows.get(i));
            }
        }
        String config = Files.readString(dir.resolve("config.json"));
        assertTrue(config.contains("\"shift_steps\":[3]") && config.contains("\"classes\":[0,1]"), config);
    }
}
