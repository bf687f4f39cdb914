package dev.tiller.cli;

import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real processes stopped the hard way: SIGTERM commits a checkpoint and says how to resume, and the resumed run
 * ends in the uninterrupted run's state; kill -9 at random moments, most of them during a save, always leaves a
 * valid checkpoint at most one interval behind. CI kills 3 runs; {@code ./tiller test all} kills 200
 * (-Dtiller.kills=N to change).
 */
class CheckpointProcessTest {
    private static final String[] GCN = {"--model", "gcn", "--regime", "adaptive"};

    private static Process start(Path out, String log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "train"));
        cmd.addAll(List.of(GCN));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--out", out.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(log).toFile())
                .start();
    }

    private static long rows(Path run) throws IOException {
        Path m = run.resolve("metrics.jsonl");
        if (!Files.exists(m)) {
            return 0;
        }
        String text = Files.readString(m);
        return text.chars().filter(c -> c == '\n').count();
    }

    private static String strip(String metrics) {
        return metrics.replaceAll(",?\"(?:[a-z]+_per_s|train_cpu_s)\":[^,}]*", "");
    }

    private record Output(int status, String out, String err) {}

    private static Output inProcess(boolean resume, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int status = resume ? Train.resume(args, o, e) : Train.run(args, o, e);
        return new Output(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String digest(String out) {
        return out.lines().filter(l -> l.startsWith("final state SHA-256 ")).findFirst().orElse("none: " + out);
    }

    @Test
    void sigtermCommitsACheckpointAndTheResumedRunEndsInTheUninterruptedState(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Process p = start(a, "a.log", "--steps", "3000", "--checkpoint-every", "400");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (rows(a) < 500 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the run ended before it could be stopped");
        p.destroy();                                       // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String log = Files.readString(dir.resolve("a.log"));
        assertTrue(log.contains("is committed. Continue with: ./tiller resume " + a), log);
        Output resumed = inProcess(true, a.toString());
        assertEquals(0, resumed.status(), resumed.out() + resumed.err());
        Output whole = inProcess(false, GCN[0], GCN[1], GCN[2], GCN[3], "--steps", "3000", "--checkpoint-every",
                "400", "--out", dir.resolve("b").toString());
        assertEquals(0, whole.status(), whole.err());
        assertEquals(strip(Files.readString(dir.resolve("b").resolve("metrics.jsonl"))),
                strip(Files.readString(a.resolve("metrics.jsonl"))));
        assertEquals(digest(whole.out()), digest(resumed.out()));
        System.out.println("SIGTERM: " + log.lines().filter(l -> l.contains("committed")).findFirst().orElseThrow()
                + "; resumed to the uninterrupted run's " + digest(whole.out()));
    }

    @Test
    void killNineSample(@TempDir Path dir) throws Exception {
        kills(dir, 3, true);
    }

    @Tag("soak")
    @Test
    void killNineFull(@TempDir Path dir) throws Exception {
        kills(dir, Integer.getInteger("tiller.kills", 200), false);
    }

    /**
     * n runs saving every 2 steps, each killed with SIGKILL at a random moment; the newest valid checkpoint is at
     * most one interval behind the newest save begun (the step of the last metrics row, rounded down to the
     * interval); with resumeOne, the first killed run is resumed to its end.
     */
    private static void kills(Path dir, int n, boolean resumeOne) throws Exception {
        SplittableRandom rnd = new SplittableRandom(9);
        long every = 2;
        int duringSave = 0;
        for (int i = 0; i < n; i++) {
            Path run = dir.resolve("k" + i);
            Process p = start(run, "k" + i + ".log", "--steps", "4000", "--checkpoint-every", Long.toString(every));
            long wait = 300 + rnd.nextLong(2500);
            long t0 = System.nanoTime();
            while (rows(run) < 1 && p.isAlive() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60)) {
                Thread.sleep(5);
            }
            Thread.sleep(wait);
            assertTrue(p.isAlive(), "run " + i + " ended before the kill");
            p.destroyForcibly();                           // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            long done = rows(run);
            CheckpointRing ring = new CheckpointRing(run.resolve("checkpoints"), 3, Storage.disk());
            try (Stream<Path> s = Files.list(ring.dir())) {
                if (s.anyMatch(q -> q.getFileName().toString().startsWith(".tmp-"))) {
                    duringSave++;
                }
            }
            CheckpointRing.Found found = ring.latest();
            assertNotNull(found.loaded(), "run " + i + " killed after " + done + " steps has no valid checkpoint: "
                    + found.skipped());
            try (CheckpointFile.Loaded l = found.loaded()) {
                long begun = done / every * every;
                assertTrue(l.step() >= begun - every, "run " + i + ": " + done + " steps done, newest valid"
                        + " checkpoint after step " + l.step());
            }
            if (resumeOne && i == 0) {
                Output r = inProcess(true, run.toString());
                assertEquals(0, r.status(), r.out() + r.err());
                assertEquals(4000, rows(run));
            }
        }
        System.out.printf("kill -9: %d runs killed, %d during a save (a temporary folder left), every one left a"
                + " valid checkpoint at most one interval behind%n", n, duringSave);
    }
}
