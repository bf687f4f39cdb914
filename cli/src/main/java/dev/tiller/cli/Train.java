package dev.tiller.cli;

import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ConvNet;
import dev.tiller.models.arch.Mlp;
import dev.tiller.models.arch.ResNet;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.Checkpointer;
import dev.tiller.policy.MemoryCheck;
import dev.tiller.policy.RunCheckpoint;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.TrainState;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.Weights;
import dev.tiller.policy.checkpoint.CheckpointException;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import dev.tiller.policy.log.Event;
import dev.tiller.policy.recipe.Optimizers;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.recipe.RunConfig;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.state.StateCodec;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.ImageTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.OffHeapLimitException;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ThreadCount;
import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code ./tiller train [--model gpt|mlp|convnet|resnet|gcn] [--data NAME|PATH|synthetic] [--steps N] [--batch N]
 * [--width X] [--depth X] [--lr X] [--seed N] [--threads N] [--out DIR] [--shift-at N] [--regime PRESET|FILE]
 * [--inject SPEC] [--optimizer adamw|schedule-free-adamw|prodigy|adamw-hd] [--config FILE]}. With no arguments: the
 * byte-level GPT on the JDK's java.util sources (jdk-util) with the recipe of docs/workloads.md (AdamW betas
 * 0.9/0.95, decay 0.1 on matrices only, linear warm-up then cosine to 10%, global-norm clip 1.0), a few minutes on 2
 * cores, then a generated sample and the run folder's path. --optimizer swaps AdamW for Schedule-Free AdamW or
 * Prodigy at their published defaults ({@link Recipe#withOptimizer}; --lr still overrides the learning rate). The
 * flags resolve into a {@link RunConfig} (the model's {@link Recipe} filling what they leave out), which config.json
 * holds as "run"; {@code --config FILE} reads that back and trains the same bits. A flag that does not apply to the
 * model or data is an error that says what applies. The shifting datasets change domain at step --shift-at (default:
 * half the steps): fashion-mnist-shift (classes 0-4, then 5-9) for the image models, jdk-shift (java.util, then
 * java.sql) for the GPT.
 */
final class Train {
    static final String USAGE = "./tiller train [--model gpt|mlp|convnet|resnet|gcn] [--data NAME|PATH|synthetic]"
            + " [--steps N] [--batch N] [--width X] [--depth X] [--lr X] [--seed N] [--threads N] [--out DIR]"
            + " [--micro N] [--eval-every N] [--precision f32|bf16|f16] [--state-precision f32|bf16|q8]"
            + " [--optimizer adamw|schedule-free-adamw|prodigy|adamw-hd]"
            + " [--shift-at N] [--regime PRESET|FILE] [--inject SPEC] [--config FILE] [--checkpoint-every N]"
            + " [--keep-checkpoints K] [--stop-deadline S] [--init FILE.safetensors]; shifting data: --data"
            + " fashion-mnist-shift (classes 0-4, then 5-9) or jdk-shift (java.util, then java.sql), shifting at"
            + " --shift-at (default steps / 2); --inject nan-grad@S,lr-spike@SxF,poison@S injects faults at steps S"
            + " (as numbered in metrics.jsonl); --config FILE trains the run a config.json describes (with it, only"
            + " --out, --regime, --inject, --threads and the checkpoint flags may be given); --checkpoint-every N"
            + " saves a checkpoint every N steps (default: a tenth of the run, at least 50 steps, for runs of 200 steps"
            + " or more; 0: none, except on Ctrl-C), --keep-checkpoints K keeps the newest K (default 3),"
            + " --stop-deadline S gives Ctrl-C S seconds to commit one (default 60); --init FILE.safetensors starts"
            + " from the weights in FILE (as ./tiller export writes them), recorded with its SHA-256";

    /** Named datasets whose domain shifts once, at --shift-at. */
    static final String FASHION_SHIFT = RunConfig.FASHION_SHIFT;
    static final String JDK_SHIFT = RunConfig.JDK_SHIFT;

    private static final List<String> KNOWN = List.of("--model", "--data", "--steps", "--batch", "--width", "--depth",
            "--lr", "--seed", "--threads", "--out", "--micro", "--eval-every", "--precision", "--state-precision",
            "--shift-at", "--regime", "--inject", "--config", "--optimizer", "--checkpoint-every", "--keep-checkpoints",
            "--stop-deadline", "--init");
    /** The flags that may come with --config: they change where the run goes or what steers it, not the recipe. */
    private static final List<String> WITH_CONFIG = List.of("--config", "--out", "--regime", "--inject",
            "--threads", "--checkpoint-every", "--keep-checkpoints", "--stop-deadline");

    private Train() {}

    /** A parsed command line: the run, its folder (null: a new folder under runs/) and its checkpoint settings. */
    record Parsed(RunConfig run, String out, Saving saving) {}

    /**
     * How a run saves checkpoints: every every steps and after the last (0: none, except on Ctrl-C), the newest keep
     * kept, and the seconds Ctrl-C or SIGTERM gives the run to commit one before it stops. Recorded in config.json as
     * "checkpoints"; it changes no bit of the run.
     */
    record Saving(long every, int keep, double deadline) {
        static final int KEEP = 3;
        static final double DEADLINE = 60;

        Saving {
            if (every < 0 || keep < 1 || !(deadline > 0) || Double.isInfinite(deadline)) {
                throw new IllegalArgumentException("checkpoints: need --checkpoint-every >= 0, --keep-checkpoints >= 1"
                        + " and a positive finite --stop-deadline, got " + every + ", " + keep + ", " + deadline);
            }
        }

        /** The default for a run of steps: a tenth of the run, at least 50 steps, from 200 steps on; else none. */
        static long defaultEvery(long steps) {
            return steps >= 200 ? Math.max(50, steps / 10) : 0;
        }

        /** The flags' values over base (the defaults, or what config.json recorded). */
        static Saving of(Map<String, String> m, Saving base) {
            Long every = longOpt(m, "--checkpoint-every", 0);
            Integer keep = intOpt(m, "--keep-checkpoints", 1);
            Double deadline = doubleOpt(m, "--stop-deadline");
            return new Saving(every != null ? every : base.every(), keep != null ? keep : base.keep(),
                    deadline != null ? deadline : base.deadline());
        }

        Map<String, Object> toJson() {
            return StateCodec.ordered("every", every, "keep", keep, "stop_deadline_s", deadline);
        }

        static Saving fromJson(Object json, long steps) {
            if (!(json instanceof Map<?, ?> m)) {
                return new Saving(defaultEvery(steps), KEEP, DEADLINE);
            }
            StateCodec.Reader f = StateCodec.read(m, "config.json: checkpoints").only("every", "keep",
                    "stop_deadline_s");
            return new Saving(f.l("every"), f.i("keep"), f.d("stop_deadline_s"));
        }
    }

    static Parsed parse(String[] args) {
        Map<String, String> m = flags(args);
        if (m.containsKey("--config")) {
            for (String k : m.keySet()) {
                if (!WITH_CONFIG.contains(k)) {
                    throw new IllegalArgumentException("train: --config FILE trains the run FILE describes; with it"
                            + " only --out, --regime, --inject and --threads may be given, got " + k);
                }
            }
            RunConfig base = readConfig(Path.of(m.get("--config")));
            RunConfig run = base.with(m.containsKey("--threads") ? threads(m) : base.threads(),
                    m.getOrDefault("--regime", base.regime()), m.getOrDefault("--inject", base.inject()));
            return new Parsed(run, m.get("--out"), Saving.of(m, new Saving(Saving.defaultEvery(run.steps()),
                    Saving.KEEP, Saving.DEADLINE)));
        }
        String model = m.getOrDefault("--model", "gpt");
        if (!RunConfig.MODELS.contains(model)) {
            throw new IllegalArgumentException("train: --model must be gpt, mlp, convnet, resnet or gcn, got '" + model
                    + "'");
        }
        String data = m.get("--data");
        if (JDK_SHIFT.equals(data) && !model.equals("gpt")) {
            throw new IllegalArgumentException("train: --data " + JDK_SHIFT + " is text; use it with --model gpt");
        }
        if (FASHION_SHIFT.equals(data) && !RunConfig.IMAGE_MODELS.contains(model)) {
            throw new IllegalArgumentException("train: --data " + FASHION_SHIFT + " is images; use it with --model mlp,"
                    + " convnet or resnet");
        }
        boolean shifting = FASHION_SHIFT.equals(data) || JDK_SHIFT.equals(data);
        if (m.containsKey("--shift-at") && !shifting) {
            throw new IllegalArgumentException("train: --shift-at needs a shifting dataset (--data " + FASHION_SHIFT
                    + " or " + JDK_SHIFT + "), got --data " + (data == null ? "(default)" : data));
        }
        DType precision = RunConfig.precision(m.getOrDefault("--precision", "f32"));
        StatePrecision state = RunConfig.statePrecision(m.getOrDefault("--state-precision", "f32"));
        Long stepsOpt = longOpt(m, "--steps", 1);
        long steps = stepsOpt != null ? stepsOpt : model.equals("gpt") || model.equals("gcn") ? 200 : 500;
        Integer batch = intOpt(m, "--batch", 1);
        if (batch == null && !model.equals("gcn")) {
            batch = model.equals("gpt") ? 16 : 64;
        }
        Double width = doubleOpt(m, "--width");
        Double depth = doubleOpt(m, "--depth");
        Long evalEvery = longOpt(m, "--eval-every", 0);
        Long shiftAt = longOpt(m, "--shift-at", 0);
        if (shifting && shiftAt == null) {
            shiftAt = steps / 2;
        }
        Integer threads = m.containsKey("--threads") ? threads(m) : null;
        Integer micro = intOpt(m, "--micro", 1);
        Long seed = longOpt(m, "--seed", 0);
        String optimizer = m.getOrDefault("--optimizer", Recipe.ADAMW);
        if (!Recipe.OPTIMIZERS.contains(optimizer)) {
            throw new IllegalArgumentException("train: --optimizer must be one of " + String.join(", ",
                    Recipe.OPTIMIZERS) + "; got '" + optimizer + "'");
        }
        RunConfig fresh = new RunConfig(model, data != null ? data : defaultData(model), steps, batch,
                width == null ? 1 : width, depth == null ? 1 : depth, seed == null ? 0 : seed,
                micro == null ? 1 : micro, evalEvery != null ? evalEvery : Math.max(1, steps / 5), precision, state,
                shiftAt, threads != null ? threads : Parallel.threads(), m.getOrDefault("--regime", "static"),
                m.getOrDefault("--inject", ""), Recipe.defaults(model, steps, doubleOpt(m, "--lr"), optimizer));
        RunConfig run = fresh;
        if (m.containsKey("--init")) {
            Path init = Path.of(m.get("--init"));
            try {
                run = run.withInit(new RunConfig.Init(init.toString(), Weights.sha256(init)));
            } catch (IOException e) {
                throw new IllegalArgumentException("train: --init " + init + ": cannot read it (" + e.getMessage()
                        + ")");
            }
        }
        return new Parsed(run, m.get("--out"), Saving.of(m, new Saving(Saving.defaultEvery(steps), Saving.KEEP,
                Saving.DEADLINE)));
    }

    private static String defaultData(String model) {
        return switch (model) {
            case "gpt" -> "jdk-util";
            case "gcn" -> "synthetic";
            default -> "fashion-mnist";
        };
    }

    private static Map<String, String> flags(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!KNOWN.contains(key)) {
                throw new IllegalArgumentException("train: unknown option '" + a + "'; usage: " + USAGE);
            }
            String value;
            if (a.contains("=")) {
                value = a.substring(a.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("train: option " + a + " needs a value; usage: " + USAGE);
            }
            String earlier = m.put(key, value);
            if (earlier != null) {
                throw new IllegalArgumentException("train: " + key + " is given twice ('" + earlier + "' and '"
                        + value + "'); give it once");
            }
        }
        return m;
    }

    /** The run of a config.json (its "run" object) or of a file that is a run object itself. */
    /**
     * The run's regime: with --config and no --regime, the spec config.json embeds (so the run reproduces even when
     * its regime file has changed or gone); else the preset or file --regime names.
     */
    static RegimeSpec regime(String[] args, RunConfig run) {
        Map<String, String> m = flags(args);
        if (m.containsKey("--config") && !m.containsKey("--regime")) {
            Path file = Path.of(m.get("--config"));
            try {
                if (Json.parse(Files.readString(file), file.toString()) instanceof Map<?, ?> top
                        && top.get("regime") instanceof Map<?, ?> spec) {
                    return RegimeSpec.fromJson(spec, file + ": regime");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("--config " + file + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        return RegimeSpec.resolve(run.regime());
    }

    static RunConfig readConfig(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--config " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        Object json;
        try {
            json = Json.parse(text, file.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--config " + file + ": not JSON: " + e.getMessage());
        }
        if (!(json instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("--config " + file + ": must hold a JSON object");
        }
        if (top.get("run") instanceof Map<?, ?> run) {
            return RunConfig.fromJson(run, file + ": run");
        }
        return RunConfig.fromJson(top, file.toString());
    }

    private static int threads(Map<String, String> m) {
        return ThreadCount.parse(m.get("--threads"), "train: --threads");
    }

    private static Long longOpt(Map<String, String> m, String k, long min) {
        if (!m.containsKey(k)) {
            return null;
        }
        try {
            long v = Long.parseLong(m.get(k));
            if (v < min) {
                throw new IllegalArgumentException("train: " + k + " must be >= " + min + ", got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("train: " + k + " needs an integer, got '" + m.get(k) + "'");
        }
    }

    private static Integer intOpt(Map<String, String> m, String k, int min) {
        Long v = longOpt(m, k, min);
        return v == null ? null : Math.toIntExact(v);
    }

    private static Double doubleOpt(Map<String, String> m, String k) {
        if (!m.containsKey(k)) {
            return null;
        }
        try {
            double v = Double.parseDouble(m.get(k));
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("train: " + k + " must be a positive finite number, got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("train: " + k + " needs a number, got '" + m.get(k) + "'");
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Parsed p;
        RegimeSpec regime;
        try {
            p = parse(args);
            regime = regime(args, p.run());
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            err.println(msg.startsWith("train:") ? msg : "tiller train: " + msg);
            return 2;
        }
        RunConfig o = p.run();
        Parallel.setThreads(o.threads());
        Path claimed = null;
        Task task;
        try {
            if (p.out() != null) {
                claimed = claim(Path.of(p.out()), true);      // before the data and model are built
            }
            task = task(o);
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("tiller train: " + e.getMessage());
            return 2;
        }
        return execute(o, regime, p.saving(), task, claimed, null, out, err);
    }

    /**
     * A run resumed from a checkpoint: the checkpoint read back, its run folder, the config.json it recorded and the
     * overrides given on the command line, each logged in the resumed event.
     */
    record Resuming(CheckpointFile.Loaded loaded, Path dir, Map<String, Object> config, List<String> skipped,
                    Map<String, Object> overrides, long[] dropped) {}

    /**
     * Trains o (fresh, or from resuming's checkpoint) on task in dir (null: a new folder under runs/), prints the
     * summary and returns the exit status.
     */
    private static int execute(RunConfig o, RegimeSpec regime, Saving saving, Task task, Path claimed,
                               Resuming resuming, PrintStream out, PrintStream err) {
        String command = resuming == null ? "tiller train" : "tiller resume";
        Recipe recipe = o.recipe();
        long steps = o.steps();
        List<ParamRef> params = Trainer.paramRefs(task);
        if (o.init() != null && resuming == null) {
            try {
                Path init = Path.of(o.init().path());
                String sha = Weights.sha256(init);
                if (!sha.equals(o.init().sha256())) {
                    throw new IllegalArgumentException("init " + init + " changed since the run was recorded (SHA-256 "
                            + sha + ", recorded " + o.init().sha256() + ")");
                }
                Weights.load(init, params);
            } catch (IOException | IllegalArgumentException e) {
                err.println(command + ": " + (e instanceof IOException ? "init " + o.init().path() + ": cannot read"
                        + " it (" + e.getMessage() + ")" : e.getMessage()));
                return 2;
            }
        }
        List<String> decayed = task.model().decayed();
        List<ParamRef> decay = new ArrayList<>();
        List<ParamRef> noDecay = new ArrayList<>();
        for (ParamRef r : params) {
            (decayed.contains(r.name()) ? decay : noDecay).add(r);
        }
        // One record drives both groups; the no_decay group derives its own with weight decay 0.
        Optimizers.Built<?> built = Optimizers.build(recipe, steps, decay, noDecay, o.statePrecision(), o.seed());
        Optimizer<?> opt = built.optimizer();
        GlobalNormClip clip = recipe.clipper();
        long paramBytes = 4L * task.model().parameterCount();
        // weights and gradients, optimizer state, and per rollback snapshot or checkpoint copy weights and state
        long stateBytes = 2 * paramBytes + opt.stateBytes()
                + (regime.ring().capacity() + 1L) * (paramBytes + opt.stateBytes());
        long available = MemoryCheck.available();
        Optional<Long> stepBytes = o.batch() == null ? Optional.empty()
                : MemoryCheck.stepBytes(task, o.batch(), o.microBatches(), params);
        if (stepBytes.isPresent() && stepBytes.get() + stateBytes > available) {
            long perSample = Math.max(1, stepBytes.get() / o.batch());
            long fits = Math.max(1, (available - stateBytes) / perSample);
            err.println(command + ": --batch " + o.batch() + " would need about " + MemoryCheck.gb(stepBytes.get())
                    + " of off-heap memory a step (plus " + MemoryCheck.gb(stateBytes) + " for weights, optimizer"
                    + " state and snapshots), but this machine leaves " + MemoryCheck.gb(available) + " beside the "
                    + MemoryCheck.gb(Runtime.getRuntime().maxMemory()) + " heap: lower --batch (about " + fits
                    + " fits) and raise --micro to keep the samples a step sees");
            unclaim(claimed);
            return 2;
        }

        Path dir;
        try {
            dir = claimed != null ? claimed : claim(Path.of("runs", task.name() + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))), false);
        } catch (IllegalArgumentException e) {
            err.println(command + ": " + e.getMessage());
            return 2;
        }
        Map<String, Object> config;
        if (resuming != null) {
            config = new LinkedHashMap<>(resuming.config());
        } else {
            config = new LinkedHashMap<>();
            config.put("command", "train");
            config.put("run", o.toJson());
            config.put("regime", regime.toJson());
            config.put("task", task.name());
            config.putAll(task.describe());
            config.put("optimizer", opt.name());
            config.put("decayed_tensors", decay.size());
            config.put("schedule", recipe.describeSchedule());
            config.put("optimizer_state_bytes", opt.stateBytes());
            config.put("optimizer_state_bytes_per_param", (double) opt.stateBytes() / task.model().parameterCount());
            config.put("java", Runtime.version().toString());
        }
        config.put("checkpoints", saving.toJson());
        if (resuming == null) {
            out.printf("tiller train: %s, %,d parameters, %d steps, %srun folder %s%n", task.name(),
                    task.model().parameterCount(), steps, o.regime().equals("static") ? ""
                    : "regime " + o.regime() + ", ", dir);
        } else {
            out.printf("tiller resume: %s from step %d of %d, run folder %s%n", task.name(),
                    resuming.loaded().step(), steps, dir);
        }
        Finished f;
        try {
            f = train(built, task, params, clip, o, regime, saving, dir, config, resuming, err,
                    Math.max(0, available - stateBytes));
        } catch (Trainer.Diverged e) {
            err.println(command + ": stopped at " + e.getMessage());
            err.println("run folder: " + dir.toAbsolutePath());
            return Main.STOPPED_DIVERGED;
        } catch (CheckpointException e) {
            err.println(command + ": " + e.getMessage());
            return 2;
        } catch (OffHeapLimitException e) {
            err.println(command + ": stopped: " + e.getMessage() + " (what this machine leaves beside the heap and"
                    + " the weights); lower --batch" + (o.batch() == null ? "" : " (now " + o.batch() + ")")
                    + " and raise --micro to keep the samples a step sees");
            err.println("run folder: " + dir.toAbsolutePath());
            return 2;
        }
        Trainer.Summary s = f.summary();
        out.printf(Locale.ROOT, "final train loss %.4f, %s; %.0f %s/s; %d skipped steps%n",
                s.finalTrainLoss(), format(s.finalEval()), s.itemsPerSecond(), task.unit(), s.skippedSteps());
        String report = f.report();
        if (!report.isEmpty()) {
            out.println("--- sample ---");
            out.println(report);
            out.println("--------------");
        }
        if (f.saveFailures() > 0) {
            err.println(command + ": " + f.saveFailures() + " checkpoint save(s) failed; see checkpoint_failed in "
                    + dir.resolve("events.jsonl"));
        }
        out.println("final state SHA-256 " + f.digest());
        out.println("run folder: " + dir.toAbsolutePath());
        return 0;
    }

    /**
     * Claims a run folder for this process alone: its metrics.jsonl is created new, which fails when another run
     * holds it. An --out folder (explicit) that holds a run already is refused, never truncated; a default folder
     * that another run claimed first (two runs started in the same second) gets a suffix -2, -3, ... instead.
     */
    static Path claim(Path dir, boolean explicit) {
        for (int k = 1; ; k++) {
            Path d = k == 1 ? dir : dir.resolveSibling(dir.getFileName() + "-" + k);
            if (explicit && Files.exists(d) && !Files.isDirectory(d)) {
                throw new IllegalArgumentException("--out " + d + ": is a file, not a folder");
            }
            try {
                Files.createDirectories(d);
                Files.createFile(d.resolve("metrics.jsonl"));
                return d;
            } catch (FileAlreadyExistsException e) {
                if (explicit) {
                    throw new IllegalArgumentException("--out " + dir + ": holds a run already ("
                            + e.getFile() + " exists); give a new folder, or continue it with ./tiller resume "
                            + dir);
                }
            } catch (IOException e) {
                throw new IllegalArgumentException((explicit ? "--out " : "run folder ") + d
                        + ": cannot create it (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
        }
    }

    /** Removes a run folder this process claimed and left empty (a run refused before its first step). */
    private static void unclaim(Path claimed) {
        if (claimed == null) {
            return;
        }
        try {
            Path m = claimed.resolve("metrics.jsonl");
            if (Files.size(m) == 0) {
                Files.delete(m);
                try (Stream<Path> left = Files.list(claimed)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(claimed);
                    }
                }
            }
        } catch (IOException e) {
            // an empty folder is left; it holds no run
        }
    }

    /**
     * What a run left: its summary, the task's final report (a generated sample), the failed saves and the SHA-256
     * of its final state (equal for equal runs, whatever the threads or interruptions).
     */
    private record Finished(Trainer.Summary summary, String report, int saveFailures, String digest) {}

    /**
     * Trains o's steps with built's optimizer under regime, logging to dir and checkpointing as saving says; from
     * resuming's checkpoint when given (its logs cut back to it first). The final report sees the weights the
     * evaluations saw (Schedule-Free's x), and the trained weights come back after it. Ctrl-C or SIGTERM commits a
     * checkpoint after the step in progress, within the stop deadline.
     */
    private static <H extends Record> Finished train(Optimizers.Built<H> built, Task task, List<ParamRef> params,
                                                     GlobalNormClip clip, RunConfig o, RegimeSpec regime,
                                                     Saving saving, Path dir, Map<String, Object> config,
                                                     Resuming resuming, PrintStream err, long poolLimit) {
        Trainer<H> trainer = built.trainer(task, params, clip,
                new Trainer.Settings(o.steps(), o.microBatches(), o.evalEvery(), o.precision()))
                .regime(regime).faults(o.faults()).poolLimit(poolLimit);
        CheckpointRing ring = new CheckpointRing(dir.resolve("checkpoints"), saving.keep(), Storage.disk());
        StopRequest stop = new StopRequest();
        try (RunLog log = new RunLog(dir, config, resuming != null);
             Checkpointer cp = new Checkpointer(ring, saving.every(), config, err);
             TrainState<H> s = resuming == null ? trainer.start(log, err)
                     : trainer.resume(log, err, resuming.loaded())) {
            if (resuming != null) {
                log.event(new Event.Resumed(s.step(), resuming.loaded().dir().toString(), resuming.dropped()[0],
                        resuming.dropped()[1], resuming.skipped(), resuming.overrides()));
                resuming.loaded().close();
            }
            Thread hook = new Thread(() -> interrupted(log, s, dir, err, cp, stop, saving.deadline()),
                    "tiller-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                while (s.step() < o.steps()) {
                    trainer.step(s);
                    if (stop.requested()) {
                        cp.save(s);
                        cp.await();
                        stop.stopped(s.step());
                        stop.waitForExit();
                    }
                    cp.afterStep(s);
                }
                if (saving.every() > 0) {
                    cp.save(s);                 // the last step's state, so weights and state outlive the run
                }
                cp.await();
                stop.stopped(s.step());         // a Ctrl-C from here on finds the run already saved
                String digest = RunCheckpoint.sha256(s);
                Trainer.Summary summary = trainer.finish(s, err);
                return new Finished(summary, trainer.atEvalPoint(s, task::finalReport), cp.failures(), digest);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run: it logged the interruption
                }
            }
        }
    }

    /** Ctrl-C's request to the training loop: stop after the step in progress, once a checkpoint of it is committed. */
    static final class StopRequest {
        private volatile boolean requested;
        private final CountDownLatch stopped = new CountDownLatch(1);
        private volatile long step = -1;

        void request() {
            requested = true;
        }

        boolean requested() {
            return requested;
        }

        /** The loop committed the checkpoint after step and stops. */
        void stopped(long step) {
            this.step = step;
            stopped.countDown();
        }

        /** The step whose checkpoint was committed within seconds, or -1. */
        long awaitStopped(double seconds) {
            try {
                return stopped.await((long) (seconds * 1000), TimeUnit.MILLISECONDS) ? step : -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        /** Blocks the training thread until the JVM exits (the shutdown hook is finishing). */
        void waitForExit() {
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * What Ctrl-C or SIGTERM leaves: the training loop is asked to commit a checkpoint after the step in progress
     * and stop; within deadline seconds the message says which step it saved and how to resume, else that the
     * previous checkpoint (named) is intact. An "interrupted" event follows the steps that finished. Runs on the
     * shutdown hook's thread while training may still be writing; the log keeps lines whole.
     */
    static void interrupted(RunLog log, TrainState<?> s, Path dir, PrintStream err, Checkpointer cp,
                            StopRequest stop, double deadline) {
        stop.request();
        long saved = stop.awaitStopped(deadline);
        long done = s.step();
        if (log.isOpen()) {
            log.event(new Event.Interrupted(done, "the process was asked to stop (Ctrl-C or SIGTERM)"));
        }
        err.println();
        String resume = "./tiller resume " + dir;
        if (saved >= 0) {
            err.println("tiller: interrupted; the checkpoint after step " + saved + " is committed. Continue with: "
                    + resume);
        } else {
            List<Long> steps = cp.ring().steps();
            err.println("tiller: interrupted after step " + done + "; no checkpoint could be committed within "
                    + deadline + " s (--stop-deadline). " + (steps.isEmpty() ? "There is no checkpoint yet: "
                    + dir.toAbsolutePath() + " holds every finished step's metrics and events"
                    : "The newest checkpoint, after step " + steps.get(steps.size() - 1) + ", is intact. Continue"
                    + " with: " + resume));
        }
    }

    /** {@code ./tiller resume RUN [--threads N] [--checkpoint-every N] [--keep-checkpoints K] [--stop-deadline S]}. */
    static final String RESUME_USAGE = "./tiller resume RUN [--threads N] [--checkpoint-every N] [--keep-checkpoints K]"
            + " [--stop-deadline S]";
    private static final List<String> RESUME_FLAGS = List.of("--threads", "--checkpoint-every", "--keep-checkpoints",
            "--stop-deadline");

    /**
     * Continues the run in RUN from its newest valid checkpoint. Precedence: the checkpoint decides the run (its
     * recorded configuration rebuilds the model, data, optimizer and regime, whatever config.json now says), and
     * the flags may change only what changes no bit (threads and checkpoint settings); each is logged in the
     * resumed event. The logs are cut back to the checkpoint's step, newer checkpoints that fail a check are named
     * and passed over, and temporary folders of interrupted saves are removed.
     */
    static int resume(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].startsWith("--")) {
            err.println("tiller resume: which run? usage: " + RESUME_USAGE);
            return 2;
        }
        Path dir = Path.of(args[0]);
        Map<String, String> m;
        try {
            m = flags(Arrays.copyOfRange(args, 1, args.length));
            for (String k : m.keySet()) {
                if (!RESUME_FLAGS.contains(k)) {
                    throw new IllegalArgumentException("resume: " + k + " would change the run; only "
                            + String.join(", ", RESUME_FLAGS) + " may be given (the checkpoint decides the rest)");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("tiller " + e.getMessage().replaceFirst("^train: ", "resume: "));
            return 2;
        }
        if (!Files.isDirectory(dir)) {
            err.println("tiller resume: " + dir + ": no such run folder");
            return 2;
        }
        CheckpointRing ring = new CheckpointRing(dir.resolve("checkpoints"), Saving.KEEP, Storage.disk());
        int removed = ring.removeTemporaries();
        if (removed > 0) {
            err.println("tiller resume: removed " + removed + " temporary folder(s) of interrupted saves");
        }
        CheckpointRing.Found found = ring.latest();
        for (String why : found.skipped()) {
            err.println("tiller resume: passed over a checkpoint that fails a check: " + why);
        }
        if (found.loaded() == null) {
            err.println("tiller resume: " + dir + " holds no valid checkpoint"
                    + (found.skipped().isEmpty() ? " (" + ring.dir() + " is empty or missing)" : "")
                    + "; start it again with ./tiller train --config " + dir.resolve("config.json"));
            return 2;
        }
        CheckpointFile.Loaded loaded = found.loaded();
        RunConfig o;
        RegimeSpec regime;
        Saving saving;
        Map<String, Object> config;
        Map<String, Object> overrides = new LinkedHashMap<>();
        try {
            StateCodec.Reader c = loaded.state().obj("config");
            if (!(c.raw("run") instanceof Map<?, ?> run) || !(c.raw("regime") instanceof Map<?, ?> spec)) {
                throw new IllegalArgumentException(loaded.dir() + ": its configuration has no run or regime");
            }
            RunConfig recorded = RunConfig.fromJson(run, loaded.dir() + ": config.run");
            regime = RegimeSpec.fromJson(spec, loaded.dir() + ": config.regime");
            int threads = m.containsKey("--threads") ? threads(m) : recorded.threads();
            if (threads != recorded.threads()) {
                overrides.put("threads", threads);
            }
            o = recorded.with(threads, recorded.regime(), recorded.inject());
            Saving before = Saving.fromJson(c.has("checkpoints") ? c.raw("checkpoints") : null, o.steps());
            saving = Saving.of(m, before);
            if (!saving.equals(before)) {
                overrides.put("checkpoints", saving.toJson());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> recordedConfig = (Map<String, Object>) Json.parse(Json.write(configOf(c)),
                    "config");
            config = recordedConfig;
            Map<?, ?> onDisk = readJson(dir.resolve("config.json"));
            if (onDisk != null && !Json.write(onDisk.get("run")).equals(Json.write(run))) {
                err.println("tiller resume: " + dir.resolve("config.json") + " differs from the configuration the"
                        + " checkpoint recorded; the checkpoint's wins");
                overrides.put("config_json_ignored", true);
            }
        } catch (IllegalArgumentException e) {
            loaded.close();
            err.println("tiller resume: " + e.getMessage());
            return 2;
        }
        if (loaded.step() >= o.steps()) {
            loaded.close();
            out.println("tiller resume: " + dir + " finished all " + o.steps() + " steps; nothing to resume");
            return 0;
        }
        Parallel.setThreads(o.threads());
        Task task;
        long[] dropped;
        try {
            task = task(o);
            long[] lengths = RunCheckpoint.logLengths(loaded);
            dropped = RunLog.truncate(dir, lengths[0], lengths[1]);
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            loaded.close();
            err.println("tiller resume: " + e.getMessage());
            return 2;
        }
        overrides.forEach((k, v) -> err.println("tiller resume: override " + k + " = " + v));
        return execute(o, regime, saving, task, dir, new Resuming(loaded, dir, config, found.skipped(), overrides,
                dropped), out, err);
    }

    static final String EXPORT_USAGE = "./tiller export RUN [--out FILE.safetensors]";

    /**
     * Writes the weights of RUN's newest valid checkpoint to a safetensors file (default RUN/model.safetensors), which
     * safetensors.torch.load_file reads and {@code ./tiller train --init} starts from.
     */
    static int export(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].startsWith("--") || (args.length != 1 && args.length != 3)
                || (args.length == 3 && !args[1].equals("--out"))) {
            err.println("tiller export: usage: " + EXPORT_USAGE);
            return 2;
        }
        Path dir = Path.of(args[0]);
        Path file = args.length == 3 ? Path.of(args[2]) : dir.resolve("model.safetensors");
        CheckpointRing ring = new CheckpointRing(dir.resolve("checkpoints"), Saving.KEEP, Storage.disk());
        CheckpointRing.Found found = ring.latest();
        for (String why : found.skipped()) {
            err.println("tiller export: passed over a checkpoint that fails a check: " + why);
        }
        if (found.loaded() == null) {
            err.println("tiller export: " + dir + " holds no valid checkpoint (train with --checkpoint-every N)");
            return 2;
        }
        try (CheckpointFile.Loaded l = found.loaded()) {
            StateCodec.Reader c = l.state().obj("config");
            Map<String, String> meta = new LinkedHashMap<>();
            if (c.has("task")) {
                meta.put("tiller_task", String.valueOf(c.raw("task")));
            }
            int n = Weights.export(l, file, meta);
            out.printf("tiller export: %d tensors of the checkpoint after step %d written to %s%n", n, l.step(), file);
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            err.println("tiller export: " + file + ": " + e.getMessage());
            return 2;
        }
    }

    /** The recorded config.json object of a checkpoint's state. */
    private static Object configOf(StateCodec.Reader c) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : c.keys()) {
            m.put(k, c.raw(k));
        }
        return m;
    }

    private static Map<?, ?> readJson(Path file) {
        try {
            return Json.parse(Files.readString(file), file.toString()) instanceof Map<?, ?> m ? m : null;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String format(Map<String, Double> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.4f", v)));
        return b.toString();
    }

    /** The task a run trains: its model on its data. */
    static Task task(RunConfig o) {
        return switch (o.model()) {
            case "gpt" -> {
                GptConfig cfg = GptConfig.reference().scaled(o.width(), o.depth());
                int evalBatches = o.recipe().evalBatches();
                yield JDK_SHIFT.equals(o.data())
                        ? new GptTask(ShiftingStream.jdkModules(JDK_SHIFT, List.of("java.base/java/util/",
                                "java.sql/"), o.shiftAt()), cfg, o.batch(), o.seed(), evalBatches)
                        : new GptTask(textCorpus(o.data()), cfg, o.batch(), o.seed(), evalBatches);
            }
            case "gcn" -> {
                GraphDataset g = GraphDataset.stochasticBlockModel(o.seed(), 600, 4, 0.05, 0.005, 16, 0.2);
                yield new GraphTask(g, (int) Math.round(32 * o.width()), (int) Math.max(2, Math.round(2 * o.depth())),
                        o.seed());
            }
            default -> imageTask(o);
        };
    }

    private static TextCorpus textCorpus(String data) {
        if (data.equals("jdk-util")) {
            return TextCorpus.jdkUtil();
        }
        if (data.equals("synthetic")) {
            return TextCorpus.synthetic(0, 1 << 20);
        }
        Path p = Path.of(data);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("--data " + data + ": no such file or folder, and not a named corpus"
                    + " (jdk-util, " + JDK_SHIFT + ", synthetic)");
        }
        return TextCorpus.fromPath(p);
    }

    private static ImageTask imageTask(RunConfig o) {
        String data = o.data();
        ImageDataset train;
        ImageDataset val;
        switch (data) {
            case "fashion-mnist", FASHION_SHIFT -> {
                train = ImageDataset.fashionMnist(true);
                val = ImageDataset.fashionMnist(false);
            }
            case "synthetic", "shapes" -> {
                train = Shapes.make(o.seed(), 0, 4096, 28);
                val = Shapes.make(o.seed(), 1 << 20, 1024, 28);
            }
            default -> {
                Path p = Path.of(data);
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException("--data " + data + ": not a folder of IDX files nor a named"
                            + " dataset (fashion-mnist, " + FASHION_SHIFT + ", synthetic)");
                }
                train = ImageDataset.idx(p.getFileName().toString(), p, "train", 10);
                val = ImageDataset.idx(p.getFileName().toString(), p, "t10k", 10);
            }
        }
        double w = o.width();
        double d = o.depth();
        Init init = new Init(o.seed());
        int batch = o.batch();
        Function<Variable, Variable> forward;
        Module model;
        String name;
        switch (o.model()) {
            case "mlp" -> {
                Mlp m = new Mlp(init, train.channels() * train.height() * train.width(),
                        Mlp.scaled(new int[] {1024, 1024}, w, d), train.classes(), Activation.RELU);
                model = m;
                forward = m::forward;
                name = "mlp";
            }
            case "convnet" -> {
                ConvNet m = new ConvNet(init, train.channels(), train.height(), train.width(), train.classes(), w);
                model = m;
                forward = m::forward;
                name = "convnet";
            }
            default -> {
                ResNet m = new ResNet(init, train.channels(), train.classes(), w, Math.max(1, (int) Math.round(d)));
                model = m;
                forward = m::forward;
                name = "resnet";
            }
        }
        if (data.equals(FASHION_SHIFT)) {
            ShiftingStream<ShiftingStream.ImagePhase> stream = ShiftingStream.classSubsets(FASHION_SHIFT, train, val,
                    List.of(new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}), o.shiftAt());
            return new ImageTask(name + "-" + FASHION_SHIFT, stream, model, forward, batch, o.seed());
        }
        return new ImageTask(name + "-" + train.name(), train, val, model, forward, batch, o.seed());
    }
}
