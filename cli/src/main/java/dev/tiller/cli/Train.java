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
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.schedule.CosineAnnealingLr;
import dev.tiller.optim.schedule.LinearLr;
import dev.tiller.optim.schedule.Schedule;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.ImageTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;

import java.io.PrintStream;
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
 * [--width X] [--depth X] [--lr X] [--seed N] [--threads N] [--out DIR] [--shift-at N]}. With no arguments: the
 * byte-level GPT on the JDK's java.util sources (jdk-util) with the recipe of docs/workloads.md (AdamW betas 0.9/0.95,
 * decay 0.1 on matrices only, linear warm-up then cosine to 10%, global-norm clip 1.0), a few minutes on 2 cores, then
 * a generated sample and the run folder's path. The shifting datasets change domain at step --shift-at (default: half
 * the steps): fashion-mnist-shift (classes 0-4, then 5-9) for the image models, jdk-shift (java.util, then java.sql)
 * for the GPT.
 */
final class Train {
    static final String USAGE = "./tiller train [--model gpt|mlp|convnet|resnet|gcn] [--data NAME|PATH|synthetic]"
            + " [--steps N] [--batch N] [--width X] [--depth X] [--lr X] [--seed N] [--threads N] [--out DIR]"
            + " [--micro N] [--eval-every N] [--precision f32|bf16|f16] [--state-precision f32|bf16|q8]"
            + " [--shift-at N]; shifting data: --data fashion-mnist-shift (classes 0-4, then 5-9) or jdk-shift"
            + " (java.util, then java.sql), shifting at --shift-at (default steps / 2)";

    /** Named datasets whose domain shifts once, at --shift-at. */
    static final String FASHION_SHIFT = "fashion-mnist-shift";
    static final String JDK_SHIFT = "jdk-shift";

    private Train() {}

    /** Parsed flags; each absent flag is null and takes the model's default. */
    record Options(String model, String data, Long steps, Integer batch, Double width, Double depth, Double lr,
                   long seed, Integer threads, String out, int micro, Long evalEvery, DType precision,
                   StatePrecision statePrecision, Long shiftAt) {}

    static Options parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        List<String> known = List.of("--model", "--data", "--steps", "--batch", "--width", "--depth", "--lr", "--seed",
                "--threads", "--out", "--micro", "--eval-every", "--precision", "--state-precision", "--shift-at");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!known.contains(key)) {
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
            m.put(key, value);
        }
        String model = m.getOrDefault("--model", "gpt");
        if (!List.of("gpt", "mlp", "convnet", "resnet", "gcn").contains(model)) {
            throw new IllegalArgumentException("train: --model must be gpt, mlp, convnet, resnet or gcn, got '" + model
                    + "'");
        }
        String data = m.get("--data");
        if (JDK_SHIFT.equals(data) && !model.equals("gpt")) {
            throw new IllegalArgumentException("train: --data " + JDK_SHIFT + " is text; use it with --model gpt");
        }
        if (FASHION_SHIFT.equals(data) && !List.of("mlp", "convnet", "resnet").contains(model)) {
            throw new IllegalArgumentException("train: --data " + FASHION_SHIFT + " is images; use it with --model mlp,"
                    + " convnet or resnet");
        }
        if (m.containsKey("--shift-at") && !FASHION_SHIFT.equals(data) && !JDK_SHIFT.equals(data)) {
            throw new IllegalArgumentException("train: --shift-at needs a shifting dataset (--data " + FASHION_SHIFT
                    + " or " + JDK_SHIFT + "), got --data " + (data == null ? "(default)" : data));
        }
        DType precision = switch (m.getOrDefault("--precision", "f32")) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("train: --precision must be f32, bf16 or f16, got '"
                    + m.get("--precision") + "'");
        };
        StatePrecision state = switch (m.getOrDefault("--state-precision", "f32")) {
            case "f32" -> StatePrecision.F32;
            case "bf16" -> StatePrecision.BF16;
            case "q8" -> StatePrecision.Q8;
            default -> throw new IllegalArgumentException("train: --state-precision must be f32, bf16 or q8, got '"
                    + m.get("--state-precision") + "'");
        };
        return new Options(model, m.get("--data"), longOpt(m, "--steps", 1), intOpt(m, "--batch", 1),
                doubleOpt(m, "--width"), doubleOpt(m, "--depth"), doubleOpt(m, "--lr"),
                m.containsKey("--seed") ? longOpt(m, "--seed", 0) : 0L, intOpt(m, "--threads", 1), m.get("--out"),
                m.containsKey("--micro") ? intOpt(m, "--micro", 1) : 1, longOpt(m, "--eval-every", 0), precision, state,
                longOpt(m, "--shift-at", 0));
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
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        if (o.threads() != null) {
            Parallel.setThreads(o.threads());
        }
        Task task;
        long steps;
        double lr;
        int warmup;
        float weightDecay;
        float beta2;
        try {
            switch (o.model()) {
                case "gpt" -> {
                    GptConfig cfg = GptConfig.reference().scaled(o.width() == null ? 1 : o.width(),
                            o.depth() == null ? 1 : o.depth());
                    steps = o.steps() == null ? 200 : o.steps();
                    int batch = o.batch() == null ? 16 : o.batch();
                    int evalBatches = steps >= 1000 ? 32 : 8;
                    task = JDK_SHIFT.equals(o.data())
                            ? new GptTask(ShiftingStream.jdkModules(JDK_SHIFT, List.of("java.base/java/util/",
                                    "java.sql/"), shiftAt(o, steps)), cfg, batch, o.seed(), evalBatches)
                            : new GptTask(textCorpus(o.data()), cfg, batch, o.seed(), evalBatches);
                    lr = o.lr() == null ? 1e-3 : o.lr();
                    warmup = (int) Math.min(100, Math.max(1, steps / 10));
                    weightDecay = 0.1f;
                    beta2 = 0.95f;
                }
                case "gcn" -> {
                    GraphDataset g = GraphDataset.stochasticBlockModel(o.seed(), 600, 4, 0.05, 0.005, 16, 0.2);
                    int w = (int) Math.round(32 * (o.width() == null ? 1 : o.width()));
                    task = new GraphTask(g, w, (int) Math.max(2, Math.round(2 * (o.depth() == null ? 1 : o.depth()))),
                            o.seed());
                    steps = o.steps() == null ? 200 : o.steps();
                    lr = o.lr() == null ? 1e-2 : o.lr();
                    warmup = 1;
                    weightDecay = 5e-4f;
                    beta2 = 0.999f;
                }
                default -> {
                    steps = o.steps() == null ? 500 : o.steps();
                    task = imageTask(o, steps);
                    lr = o.lr() == null ? 1e-3 : o.lr();
                    warmup = (int) Math.min(100, Math.max(1, steps / 20));
                    weightDecay = 0.01f;
                    beta2 = 0.999f;
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("tiller train: " + e.getMessage());
            return 2;
        }

        List<ParamRef> params = Trainer.paramRefs(task);
        List<String> decayed = task.model().decayed();
        List<ParamRef> decay = new ArrayList<>();
        List<ParamRef> noDecay = new ArrayList<>();
        for (ParamRef p : params) {
            (decayed.contains(p.name()) ? decay : noDecay).add(p);
        }
        // One record drives both groups; the no_decay group derives its own with weight decay 0.
        AdamWHyper base = new AdamWHyper((float) lr, 0.9f, beta2, 1e-8f, weightDecay, false, false);
        AdamW opt = new AdamW(List.of(ParamGroup.of("decay", decay),
                new ParamGroup<>("no_decay", noDecay, h -> h.withWeightDecay(0f))),
                Map.of("exp_avg", o.statePrecision(), "exp_avg_sq", o.statePrecision()), null, o.seed(),
                Amsgrad.WITHOUT_MAX_STATE);
        // Linear warm-up from 1% then cosine to 10% of the peak by the last step (the recipe of docs/workloads.md).
        Schedule lrSchedule = Schedule.sequence(List.of(new LinearLr(lr, 0.01, 1.0, warmup),
                new CosineAnnealingLr(lr, Math.max(1, steps - warmup), lr * 0.1)), warmup);
        GlobalNormClip clip = GlobalNormClip.l2(1f);

        Path dir = o.out() != null ? Path.of(o.out())
                : Path.of("runs", task.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                        "yyyyMMdd-HHmmss")));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("command", "train");
        config.put("task", task.name());
        config.putAll(task.describe());
        config.put("steps", steps);
        config.put("micro_batches", o.micro());
        config.put("optimizer", "AdamW");
        config.put("lr", lr);
        config.put("betas", new double[] {0.9, beta2});
        config.put("weight_decay", weightDecay);
        config.put("decayed_tensors", decay.size());
        config.put("warmup_steps", warmup);
        config.put("schedule", "linear warm-up from 1% then cosine to 10%");
        config.put("clip_norm", 1.0);
        config.put("precision", o.precision().shortName());
        config.put("state_precision", o.statePrecision().name().toLowerCase(Locale.ROOT));
        config.put("optimizer_state_bytes", opt.stateBytes());
        config.put("optimizer_state_bytes_per_param", (double) opt.stateBytes() / task.model().parameterCount());
        config.put("seed", o.seed());
        config.put("threads", Parallel.threads());
        config.put("java", Runtime.version().toString());
        long evalEvery = o.evalEvery() != null ? o.evalEvery() : Math.max(1, steps / 5);
        out.printf("tiller train: %s, %,d parameters, %d steps, run folder %s%n", task.name(),
                task.model().parameterCount(), steps, dir);
        Trainer<AdamWHyper> trainer = new Trainer<>(task, opt, params,
                t -> base.withLr((float) lrSchedule.at(t)), clip,
                new Trainer.Settings(steps, o.micro(), evalEvery, o.precision()));
        Trainer.Summary s;
        try (RunLog log = new RunLog(dir, config)) {
            s = trainer.run(log, err);
        }
        out.printf(Locale.ROOT, "final train loss %.4f, %s; %.0f %s/s; %d skipped steps%n",
                s.finalTrainLoss(), format(s.finalEval()), s.itemsPerSecond(), task.unit(), s.skippedSteps());
        String report = task.finalReport();
        if (!report.isEmpty()) {
            out.println("--- sample ---");
            out.println(report);
            out.println("--------------");
        }
        out.println("run folder: " + dir.toAbsolutePath());
        return 0;
    }

    private static String format(Map<String, Double> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.4f", v)));
        return b.toString();
    }

    /** The step at which a shifting dataset changes domain: --shift-at, else half the run. */
    private static long shiftAt(Options o, long steps) {
        long at = o.shiftAt() == null ? steps / 2 : o.shiftAt();
        if (at >= steps) {
            throw new IllegalArgumentException("--shift-at " + at + " is not below --steps " + steps
                    + ": the data would never shift");
        }
        return at;
    }

    private static TextCorpus textCorpus(String data) {
        if (data == null || data.equals("jdk-util")) {
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

    private static ImageTask imageTask(Options o, long steps) {
        String data = o.data() == null ? "fashion-mnist" : o.data();
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
        double w = o.width() == null ? 1 : o.width();
        double d = o.depth() == null ? 1 : o.depth();
        Init init = new Init(o.seed());
        int batch = o.batch() == null ? 64 : o.batch();
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
                    List.of(new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}), shiftAt(o, steps));
            return new ImageTask(name + "-" + FASHION_SHIFT, stream, model, forward, batch, o.seed());
        }
        return new ImageTask(name + "-" + train.name(), train, val, model, forward, batch, o.seed());
    }
}
