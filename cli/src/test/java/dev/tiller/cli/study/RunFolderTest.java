package dev.tiller.cli.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunFolderTest {
    /** 30 steps of loss 1.0, evaluations at 10, 20, 30, a rollback and a skip; step 15's loss is poisoned. */
    private static Path folder(Path dir, double finalVal) throws IOException {
        List<String> rows = new ArrayList<>();
        for (int s = 1; s <= 30; s++) {
            double loss = s == 15 ? 1e4 : 1.0;
            String val = s % 10 == 0 ? String.format(Locale.ROOT, ",\"val_loss\":%s", s == 30 ? finalVal : 0.9) : "";
            rows.add(String.format(Locale.ROOT, "{\"step\":%d,\"train_loss\":%s,\"items_seen\":%d,\"train_cpu_s\":%s%s,"
                    + "\"derived\":{\"shift\":%d}}", s, loss, 8 * s, 0.5 * s, val, s >= 22 ? 1 : 0));
        }
        Files.write(dir.resolve("metrics.jsonl"), rows);
        Files.write(dir.resolve("events.jsonl"), List.of("{\"step\":15,\"event\":\"skipped_step\"}",
                "{\"step\":16,\"event\":\"rollback\"}", "{\"step\":30,\"event\":\"run_end\"}"));
        return dir;
    }

    @Test
    void readsCurvesCostsAndCountsAndLeavesTheFaultedStepsLossOut(@TempDir Path dir) throws IOException {
        RunResult r = RunFolder.read(folder(dir, 0.8), new RunFolder.Planned("w", "adaptive", "fault-poison", 1, 0,
                15L, 20L));
        assertEquals(List.of(10L, 20L, 30L), r.curve().stream().map(CurvePoint::step).toList());
        assertEquals(0.8, r.finalMetric());
        assertFalse(r.diverged());
        assertEquals(240, r.samples());
        assertEquals(15.0, r.cpuSeconds());
        assertEquals(1, r.rollbacks());
        assertEquals(1, r.skipped());
        assertEquals(22L, r.detectedAt(), "the first step after the shift at which the detector fires");
        // every loss but the poisoned one is 1.0, so the smoothed curve is exactly 1.0 throughout
        assertTrue(r.trainCurve().stream().allMatch(p -> p.value() == 1.0), "" + r.trainCurve());
    }

    @Test
    void aRunEndingAboveItsFirstLossHasDiverged(@TempDir Path dir) throws IOException {
        RunResult r = RunFolder.read(folder(dir, 1.5), new RunFolder.Planned("w", "static", "base", 1, 0, null,
                null));
        assertTrue(r.diverged());
        assertTrue(Double.isNaN(r.finalMetric()));
        assertNull(r.detectedAt());
        assertTrue(r.trainCurve().stream().anyMatch(p -> p.value() > 1.0), "without a fault step nothing is left out");
    }

    @Test
    void aRunTheTrainerStoppedHasDivergedWhateverItsLastEvaluation(@TempDir Path dir) throws IOException {
        folder(dir, 0.8);
        Files.writeString(dir.resolve("events.jsonl"), "{\"step\":30,\"event\":\"diverged\",\"what\":\"stuck\"}\n",
                StandardOpenOption.APPEND);
        RunResult r = RunFolder.read(dir, new RunFolder.Planned("w", "static", "base", 1, 0, null, null));
        assertTrue(r.diverged());
        assertTrue(Double.isNaN(r.finalMetric()));
    }
}
