package dev.tiller.cli;

import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.Checkpointer;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.TrainState;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.tensor.ThreadCount;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Train.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badFlagsAreNamedNotStackTraces() {
        Result r = run("--model", "transformer");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--model must be gpt, mlp, convnet, resnet or gcn, got 'transformer'"), r.err());
        Result s = run("--steps", "many");
        assertTrue(s.err().contains("--steps needs an integer, got 'many'"), s.err());
        Result u = run("--colour", "red");
        assertTrue(u.err().contains("unknown option '--colour'"), u.err());
        Result v = run("--lr");
        assertTrue(v.err().contains("option --lr needs a value"), v.err());
        Result d = run("--model", "mlp", "--data", "/no/such/folder");
        assertEquals(2, d.status());
        assertTrue(d.err().contains("/no/such/folder"), d.err());
    }

    private static void assertFails(String expected, String... args) {
        Result r = run(args);
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    /**
     * The flags for the shifting datasets. A full run loads Fashion-MNIST or java.util and evaluates 10,000 images
     * (seconds), so the end-to-end check lives in policy's ShiftingStreamTaskTest on small procedural data.
     */
    @Test
    void badShiftFlagsAreNamed() {
        assertFails("--shift-at needs a shifting dataset (--data fashion-mnist-shift or jdk-shift), got --data"
                + " (default)", "--shift-at", "5");
        assertFails("--data jdk-shift is text; use it with --model gpt", "--model", "mlp", "--data", "jdk-shift");
        assertFails("--data fashion-mnist-shift is images", "--data", "fashion-mnist-shift");
        assertFails("--shift-at must be >= 0, got -1", "--data", "jdk-shift", "--shift-at", "-1");
        assertFails("--shift-at 10 is not below --steps 10: the data would never shift", "--data", "jdk-shift",
                "--steps", "10", "--shift-at", "10");
        assertTrue(Train.USAGE.contains("--shift-at N") && Train.USAGE.contains("fashion-mnist-shift"));
    }

    @Test
    void aShortGcnRunWritesItsRunFolder(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        Result r = run("--model", "gcn", "--steps", "5", "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("run folder: " + out.toAbsolutePath()), r.out());
        assertEquals(5, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"optimizer\":\"AdamW\"") && config.contains("\"seed\":3"), config);
    }

    @Test
    void flagsThatDoNotApplySayWhatApplies() {
        assertFails("gcn trains on the synthetic graph (--data synthetic); fashion-mnist applies to mlp, convnet,"
                + " resnet", "--model", "gcn", "--data", "fashion-mnist");
        assertFails("--batch does not apply to gcn (it trains on the whole graph); it applies to gpt, mlp, convnet,"
                + " resnet", "--model", "gcn", "--batch", "8");
        assertFails("--depth does not apply to convnet", "--model", "convnet", "--depth", "2");
        assertFails("gpt trains on text", "--data", "shapes");
        assertFails("regime 'fancy' is neither a preset (static, adaptive, conservative, plateau) nor a regime file",
                "--model", "gcn", "--regime", "fancy");
        assertFails("--inject: cannot read 'nan@3'", "--model", "gcn", "--inject", "nan@3");
        assertFails("step 9 is past the last step 5", "--model", "gcn", "--steps", "5", "--inject", "poison@9");
        assertFails("with it only --out, --regime, --inject and --threads may be given, got --steps", "--config",
                "x.json", "--steps", "5");
        assertFails("--config /no/such.json: cannot read it", "--config", "/no/such.json");
    }

    /** The rows without their timing fields (items per second, CPU seconds); every other field must match exactly. */
    private static List<String> withoutRates(Path file) throws IOException {
        return Files.readAllLines(file).stream()
                .map(r -> r.replaceAll(",?\"(?:[a-z]+_per_s|train_cpu_s)\":[^,}]*", "")
                .replaceAll(",?\"seconds\":[^,}]*", "")).toList();
    }

    @Test
    void aConfigJsonReproducesItsRunBitForBit(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a");
        Result r = run("--model", "gcn", "--steps", "6", "--eval-every", "3", "--seed", "4", "--lr", "0.02",
                "--width", "0.5", "--inject", "lr-spike@4x10", "--out", a.toString());
        assertEquals(0, r.status(), r.err());
        Path b = dir.resolve("b");
        Result s = run("--config", a.resolve("config.json").toString(), "--out", b.toString());
        assertEquals(0, s.status(), s.err());
        List<String> first = withoutRates(a.resolve("metrics.jsonl"));
        assertEquals(6, first.size());
        assertTrue(first.get(2).contains("val_loss"), first.get(2));
        Map<?, ?> spiked = (Map<?, ?>) Json.parse(first.get(3), "row 4");
        double eff = (Double) ((Map<?, ?>) spiked.get("signals")).get("eff_lr");
        assertEquals(10, (Double) spiked.get("lr") / eff, 1e-6, "lr-spike@4x10 " + first.get(3));
        assertEquals(first, withoutRates(b.resolve("metrics.jsonl")));
        assertEquals(withoutRates(a.resolve("events.jsonl")), withoutRates(b.resolve("events.jsonl")));
        Map<?, ?> ca = (Map<?, ?>) Json.parse(Files.readString(a.resolve("config.json")), "a");
        Map<?, ?> cb = (Map<?, ?>) Json.parse(Files.readString(b.resolve("config.json")), "b");
        assertEquals(ca.get("run"), cb.get("run"));
        Result c = run("--config", a.resolve("config.json").toString(), "--inject", "", "--out",
                dir.resolve("c").toString());
        assertEquals(0, c.status(), c.err());
        assertNotEquals(first, withoutRates(dir.resolve("c").resolve("metrics.jsonl")),
                "--inject with --config replaces the recorded faults");
    }

    @Test
    void aBadOptimizerIsNamedWithTheAllowedOnes() {
        assertFails("--optimizer must be one of adamw, schedule-free-adamw, prodigy, adamw-hd; got 'sgd'", "--model",
                "gcn", "--optimizer", "sgd");
        assertFails("with it only --out, --regime, --inject and --threads may be given, got --optimizer", "--config",
                "x.json", "--optimizer", "prodigy");
        assertTrue(Train.USAGE.contains("[--optimizer adamw|schedule-free-adamw|prodigy|adamw-hd]"), Train.USAGE);
    }

    /** Each optimizer's recipe is resolved in config.json, which reproduces the run bit for bit. */
    @Test
    void anOptimizersConfigJsonReproducesItsRunBitForBit(@TempDir Path dir) throws IOException {
        Map<String, String> names = Map.of("schedule-free-adamw", "ScheduleFreeAdamW", "prodigy", "Prodigy");
        for (String opt : List.of("schedule-free-adamw", "prodigy")) {
            Path a = dir.resolve(opt + "-a");
            Result r = run("--model", "gcn", "--steps", "6", "--eval-every", "3", "--seed", "2", "--optimizer", opt,
                    "--inject", "lr-spike@4x10", "--out", a.toString());
            assertEquals(0, r.status(), r.err());
            Map<?, ?> ca = (Map<?, ?>) Json.parse(Files.readString(a.resolve("config.json")), "a");
            Map<?, ?> recipe = (Map<?, ?>) ((Map<?, ?>) ca.get("run")).get("recipe");
            assertEquals(opt, recipe.get("optimizer"), recipe.toString());
            assertTrue(recipe.get("options") instanceof Map<?, ?> o && !o.isEmpty(), recipe.toString());
            assertEquals(names.get(opt), ca.get("optimizer"));
            assertEquals(opt.equals("prodigy") ? 1.0 : 0.0025, recipe.get("lr"), "the published default lr");
            Path b = dir.resolve(opt + "-b");
            Result s = run("--config", a.resolve("config.json").toString(), "--out", b.toString());
            assertEquals(0, s.status(), s.err());
            List<String> first = withoutRates(a.resolve("metrics.jsonl"));
            assertEquals(6, first.size());
            assertTrue(first.get(2).contains("val_loss"), first.get(2));
            assertEquals(first, withoutRates(b.resolve("metrics.jsonl")), opt);
            Map<?, ?> cb = (Map<?, ?>) Json.parse(Files.readString(b.resolve("config.json")), "b");
            assertEquals(ca.get("run"), cb.get("run"), opt);
            assertEquals(ca.get("schedule"), cb.get("schedule"), opt);
        }
    }

    @Test
    void injectedFaultsAreReportedUnderTheStaticRegime(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        Result r = run("--model", "gcn", "--steps", "5", "--inject", "nan-grad@2,poison@4", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("1 skipped steps"), r.out());
        String events = Files.readString(out.resolve("events.jsonl"));
        assertTrue(events.contains("{\"step\":2,\"event\":\"inject\",\"fault\":\"nan-grad\",\"spec\":"
                + "\"nan-grad@2\"}"), events);
        assertTrue(events.contains("{\"step\":2,\"event\":\"skipped_step\",\"reason\":\"non-finite gradient"
                + " norm NaN\""), events);
        assertTrue(events.contains("{\"step\":4,\"event\":\"inject\",\"fault\":\"poison\""), events);
    }

    @Test
    void aFlagGivenTwiceIsAnErrorNotTheLastValue() {
        assertFails("--lr is given twice ('0.1' and '0.2'); give it once", "--lr", "0.1", "--model", "gcn",
                "--lr=0.2");
    }

    @Test
    void threadCountsAreCheckedAgainstTheMachine() {
        int max = ThreadCount.max();
        assertFails("--threads: must be an integer from 1 to " + max + " (this machine has "
                + Runtime.getRuntime().availableProcessors() + " processors), got 999", "--threads", "999");
        assertFails("--threads: must be an integer from 1 to " + max, "--threads", "0");
        assertFails("--threads: must be an integer from 1 to " + max, "--threads", "two");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ThreadCount.parse("0", "-Dtiller.threads"));
        assertTrue(e.getMessage().startsWith("-Dtiller.threads: must be an integer from 1 to"), e.getMessage());
        assertEquals(3, ThreadCount.parse(" 3 ", "x"));
    }

    @Test
    void aStaticRunThatCanNoLongerMoveStopsWithAMessageAndAnError(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        Result r = run("--model", "gcn", "--steps", "20", "--lr", "1e30", "--out", out.toString());
        assertEquals(3, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("were skipped and the weights cannot move, and the regime 'static' keeps no"
                + " snapshots to roll back to")
                && r.err().contains("Lower the learning rate") && r.err().contains("run folder: "), r.err());
        String events = Files.readString(out.resolve("events.jsonl"));
        assertTrue(events.contains("\"event\":\"diverged\""), events);
        long rows = Files.readAllLines(out.resolve("metrics.jsonl")).size();
        assertTrue(rows >= 2 && rows < 20, "stopped early, every finished step logged: " + rows + " rows");
    }

    @Test
    void runFoldersAreClaimedOnceAndAnExistingRunIsNeverOverwritten(@TempDir Path dir) throws IOException {
        Path a = Train.claim(dir.resolve("gcn-sbm-20261203-120000"), false);
        Path b = Train.claim(dir.resolve("gcn-sbm-20261203-120000"), false);    // started in the same second
        assertEquals(dir.resolve("gcn-sbm-20261203-120000-2"), b);
        assertNotEquals(a, b);
        Path out = dir.resolve("run");
        assertEquals(0, run("--model", "gcn", "--steps", "3", "--out", out.toString()).status());
        List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
        Result again = run("--model", "gcn", "--steps", "3", "--out", out.toString());
        assertEquals(2, again.status());
        assertTrue(again.err().contains("--out " + out + ": holds a run already"), again.err());
        assertEquals(rows, Files.readAllLines(out.resolve("metrics.jsonl")), "the first run's log is untouched");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Result under = run("--model", "gcn", "--steps", "3", "--out", file.resolve("run").toString());
        assertEquals(2, under.status());
        assertTrue(under.err().contains("--out " + file.resolve("run") + ": cannot create it"), under.err());
        assertEquals(2, run("--model", "gcn", "--out", file.toString()).status());
    }

    @Test
    void anInterruptionIsLoggedAfterTheFinishedStepsAndSaysWhatIsKept(@TempDir Path dir) throws IOException {
        GraphTask task = new GraphTask(GraphDataset.stochasticBlockModel(1, 60, 3, 0.2, 0.01, 6, 0.4), 8, 2, 1);
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, x -> h, KnobBinding.adamW(),
                GlobalNormClip.l2(1f), new Trainer.Settings(5, 1, 0));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (RunLog log = new RunLog(dir, Map.of()); TrainState<AdamWHyper> s = t.start(log, null)) {
            t.step(s);
            t.step(s);
            Checkpointer cp = new Checkpointer(new CheckpointRing(dir.resolve("checkpoints"), 3, Storage.disk()), 0,
                    Map.of(), System.err);
            // no training loop answers the stop request here, so the deadline passes
            Train.interrupted(log, s, dir, new PrintStream(err, true, StandardCharsets.UTF_8), cp,
                    new Train.StopRequest(), 0.2);
            cp.close();
        }
        String events = Files.readString(dir.resolve("events.jsonl"));
        assertTrue(events.contains("{\"step\":2,\"event\":\"interrupted\",\"how\":"), events);
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains("interrupted after step 2; no checkpoint could be committed within 0.2 s")
                && msg.contains("There is no checkpoint yet: " + dir.toAbsolutePath() + " holds every finished step"),
                msg);
    }

    @Test
    void aCorpusTooSmallForItsWindowsNamesTheSplitAndWhy(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("tiny.txt"), "short text\n".repeat(20));    // 220 bytes
        Result r = run("--data", f.toString(), "--steps", "2", "--out", dir.resolve("run").toString());
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("corpus " + f + ": its validation split holds") && r.err().contains("fewer than")
                && r.err().contains("give more text"), r.err());
    }

    @Test
    void weightsExportToSafetensorsAndARunStartsFromThem(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a");
        assertEquals(0, run("--model", "gcn", "--steps", "30", "--checkpoint-every", "10", "--out", a.toString())
                .status());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path file = dir.resolve("w.safetensors");
        assertEquals(0, Train.export(new String[] {a.toString(), "--out", file.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)),
                err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("tensors of the checkpoint after step 30"));
        Path b = dir.resolve("b");
        Result started = run("--model", "gcn", "--steps", "2", "--init", file.toString(), "--out", b.toString());
        assertEquals(0, started.status(), started.err());
        Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(b.resolve("config.json")), "config");
        Map<?, ?> init = (Map<?, ?>) ((Map<?, ?>) config.get("run")).get("init");
        assertEquals(file.toString(), init.get("path"));
        List<String> rowsA = Files.readAllLines(a.resolve("metrics.jsonl"));
        double lastA = (Double) ((Map<?, ?>) Json.parse(rowsA.get(rowsA.size() - 1), "a")).get("train_loss");
        double firstB = (Double) ((Map<?, ?>) Json.parse(Files.readAllLines(b.resolve("metrics.jsonl")).get(0), "b"))
                .get("train_loss");
        assertTrue(firstB < 0.8 * 1.386, "starts trained: first loss " + firstB + " (trained run ended at " + lastA
                + "; ln 4 = 1.386 untrained)");
        Result wide = run("--model", "gcn", "--width", "2", "--steps", "2", "--init", file.toString(), "--out",
                dir.resolve("c").toString());
        assertEquals(2, wide.status());
        assertTrue(wide.err().contains("tensor 'layers.0.weight' is") && wide.err().contains("but the model's is"),
                wide.err());
        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        Result changed = run("--config", b.resolve("config.json").toString(), "--out", dir.resolve("d").toString());
        assertEquals(2, changed.status());
        assertTrue(changed.err().contains("changed since the run was recorded"), changed.err());
    }
}
