package dev.tiller.policy;

import dev.tiller.policy.ResumeHarness.Crash;
import dev.tiller.policy.ResumeHarness.Point;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run crashed anywhere and resumed from its newest checkpoint by fresh objects gives the uninterrupted run's
 * metrics rows (losses, knobs, signals, evaluations) and decision log, bit for bit, wall-clock fields aside: at 29
 * points, mid-accumulation, during evaluation, right after a regime decision, right after a rollback, during the
 * learning-rate calibration and during a save.
 */
class ExactResumeTest {
    private static Path reference;
    private static List<String> referenceMetrics;
    private static List<String> referenceEvents;

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws IOException {
        reference = dir.resolve("whole");
        assertTrue(ResumeHarness.adaptive().run(reference, 0, null));
        referenceMetrics = ResumeHarness.metrics(reference);
        referenceEvents = ResumeHarness.events(reference);
        assertEquals(ResumeHarness.STEPS, referenceMetrics.size());
    }

    /** The crash points: 29, every kind, spread over the run. */
    static List<Crash> points() {
        List<Crash> out = new ArrayList<>();
        for (long t : new long[] {3, 6, 13, 22, 33, 39}) {
            out.add(new Crash(Point.MID_ACCUMULATION, t));
        }
        for (long t : new long[] {4, 9, 14, 24, 34}) {
            out.add(new Crash(Point.DURING_EVAL, t));
        }
        for (long t : new long[] {5, 8, 12, 13, 21, 32, 36}) {
            out.add(new Crash(Point.AFTER_DECISION, t));
        }
        for (long t : new long[] {8, 16, 32}) {
            out.add(new Crash(Point.DURING_SAVE, t));
        }
        for (long t : new long[] {4, 8, 13, 17, 35, 40}) {
            out.add(new Crash(Point.BETWEEN_STEPS, t));
        }
        return out;
    }

    @Test
    void theReferenceRunRollsBackAndCalibrates() {
        assertTrue(referenceEvents.stream().anyMatch(l -> l.contains("\"event\":\"rollback\"")),
                "the crash after step 13 must follow a rollback: " + referenceEvents);
        assertTrue(referenceEvents.stream().anyMatch(l -> l.contains("\"controller\":\"calibrate\"")),
                referenceEvents.toString());
    }

    @Test
    void everyCrashPointResumesToTheSameBits(@TempDir Path dir) throws IOException {
        List<Crash> points = points();
        assertTrue(points.size() >= 20);
        int resumed = 0;
        for (Crash c : points) {
            Path run = dir.resolve(c.point() + "-" + c.step());
            ResumeHarness h = ResumeHarness.adaptive();
            assertFalse(h.run(run, ResumeHarness.EVERY, c), c + " did not crash");
            if (new CheckpointRing(run.resolve("checkpoints"), 3,
                    Storage.disk()).steps().isEmpty()) {
                continue;
            }
            assertTrue(h.resume(run, ResumeHarness.EVERY, null), c + ": the resumed run did not finish");
            resumed++;
            assertTrue(h.resumedFrom > 0 && h.resumedFrom <= c.step() && h.resumedFrom % ResumeHarness.EVERY == 0,
                    c + ": resumed from step " + h.resumedFrom);
            assertEquals(referenceMetrics, ResumeHarness.metrics(run), c + ": metrics differ");
            assertEquals(referenceEvents, ResumeHarness.events(run), c + ": events differ");
            try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")),
                        c + ": a temporary folder was left");
            }
        }
        System.out.printf("exact resume: %d crash points, %d resumed, all bit-identical%n", points.size(), resumed);
        assertTrue(resumed >= 20, "resumed " + resumed);
    }
}
