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
import dev.tiller.policy.RunLog;
import dev.tiller.policy.TrainState;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.log.Event;
import dev.tiller.policy.recipe.Optimizers;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.recipe.RunConfig;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.ImageTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.DType;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

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
            + " [--shift-at N] [--regime PRESET|FILE] [--inject SPEC] [--config FILE]; shifting data: --data"
            + " fashion-mnist-shift (classes 0-4, then 5-9) or jdk-shift (java.util, then java.sql), shifting at"
            + " --shift-at (default steps / 2); --inject nan-grad@S,lr-spike@SxF,poison@S injects faults at steps S"
            + " (as numbered in metrics.jsonl); --config FILE trains the run a config.json describes (with it, only"
            + " --out, --regime, --inject and --threads may be given)";

    /** Named datasets whose domain shifts once, at --shift-at. */
    static final String FASHION_SHIFT = RunConfig.FASHION_SHIFT;
    static final String JDK_SHIFT = RunConfig.JDK_SHIFT;

    private static final List<String> KNOWN = List.of("--model", "--data", "--steps", "--batch", "--width", "--depth",
            "--lr", "--seed", "--threads", "--out", "--micro", "--eval-every", "--precision", "--state-precision",
            "--shift-at", "--regime", "--inject", "--config", "--optimizer");
    /** The flags that may come with --config: they change where the run goes or what steers it, not the recipe. */
    private static final List<String> WITH_CONFIG = List.of("--config", "--out", "--regime", "--inject",
            "--threads");

    private Train() {}

    /** A parsed command line: the run and its folder (null: a new folder under runs/). */
    record Parsed(RunConfig run, String out) {}

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
            RunConfig run = new RunConfig(base.model(), base.data(), base.steps(), base.batch(), base.width(),
                    base.depth(), base.seed(), base.microBatches(), base.evalEvery(), base.precision(),
                    base.statePrecision(), base.shiftAt(),
                    m.containsKey("--threads") ? threads(m) : base.threads(),
                    m.getOrDefault("--regime", base.regime()), m.getOrDefault("--inject", base.inject()),
                    base.recipe());
            return new Parsed(run, m.get("--out"));
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
        RunConfig run = new RunConfig(model, data != null ? data : defaultData(model), steps, batch,
                width == null ? 1 : width, depth == null ? 1 : depth, seed == null ? 0 : seed,
                micro == null ? 1 : micro, evalEvery != null ? evalEvery : Math.max(1, steps / 5), precision, state,
                shiftAt, threads != null ? threads : Parallel.threads(), m.getOrDefault("--regime", "static"),
                m.getOrDefault("--inject", ""), Recipe.defaults(model, steps, doubleOpt(m, "--lr"), optimizer));
        return new Parsed(run, m.get("--out"));
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
        Recipe recipe = o.recipe();
        long steps = o.steps();

        List<ParamRef> params = Trainer.paramRefs(task);
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

        Path dir;
        try {
            dir = claimed != null ? claimed : claim(Path.of("runs", task.name() + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))), false);
        } catch (IllegalArgumentException e) {
            err.println("tiller train: " + e.getMessage());
            return 2;
        }
        Map<String, Object> config = new LinkedHashMap<>();
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
        out.printf("tiller train: %s, %,d parameters, %d steps, %srun folder %s%n", task.name(),
                task.model().parameterCount(), steps, o.regime().equals("static") ? "" : "regime " + o.regime() + ", ",
                dir);
        Finished f;
        try {
            f = train(built, task, params, clip, o, regime, dir, config, err);
        } catch (Trainer.Diverged e) {
            err.println("tiller train: stopped at " + e.getMessage());
            err.println("run folder: " + dir.toAbsolutePath());
            return Main.STOPPED_DIVERGED;
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
                            + e.getFile() + " exists); give a new folder");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException((explicit ? "--out " : "run folder ") + d
                        + ": cannot create it (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
        }
    }

    /** What a run left: its summary and the task's final report (a generated sample), taken at the eval point. */
    private record Finished(Trainer.Summary summary, String report) {}

    /**
     * Trains o's steps with built's optimizer under regime, logging to dir; the final report sees the weights the
     * evaluations saw (Schedule-Free's x), and the trained weights come back after it.
     */
    private static <H extends Record> Finished train(Optimizers.Built<H> built, Task task, List<ParamRef> params,
                                                     GlobalNormClip clip, RunConfig o, RegimeSpec regime, Path dir,
                                                     Map<String, Object> config, PrintStream err) {
        Trainer<H> trainer = built.trainer(task, params, clip,
                new Trainer.Settings(o.steps(), o.microBatches(), o.evalEvery(), o.precision()))
                .regime(regime).faults(o.faults());
        try (RunLog log = new RunLog(dir, config); TrainState<H> s = trainer.start(log, err)) {
            Thread hook = new Thread(() -> interrupted(log, s, dir, err), "tiller-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                while (s.step() < o.steps()) {
                    trainer.step(s);
                }
                Trainer.Summary summary = trainer.finish(s, err);
                return new Finished(summary, trainer.atEvalPoint(s, task::finalReport));
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run: it logged the interruption
                }
            }
        }
    }

    /**
     * What Ctrl-C or SIGTERM leaves: an "interrupted" event after the steps that finished, and a message saying what
     * the run folder holds. Runs on the shutdown hook's thread while training may still be writing; the log keeps
     * lines whole.
     */
    static void interrupted(RunLog log, TrainState<?> s, Path dir, PrintStream err) {
        long done = s.step();
        if (log.isOpen()) {
            log.event(new Event.Interrupted(done, "the process was asked to stop (Ctrl-C or SIGTERM)"));
        }
        err.println();
        err.println("tiller train: interrupted after step " + done + "; " + dir.toAbsolutePath() + " holds every"
                + " finished step's metrics and events (there are no checkpoints to resume from yet)");
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
