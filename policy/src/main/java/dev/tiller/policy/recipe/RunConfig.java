package dev.tiller.policy.recipe;

import dev.tiller.optim.StatePrecision;
import dev.tiller.policy.Faults;
import dev.tiller.tensor.DType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A training run as data: everything that decides its bits, defaults resolved, so that config.json's "run" object
 * read back by {@code ./tiller train --config FILE} trains the same bits. threads is recorded but changes no bit
 * (kernels are deterministic across thread counts).
 *
 * @param data      a named dataset (jdk-util, jdk-shift, fashion-mnist, fashion-mnist-shift, synthetic, shapes) or a
 *                  path
 * @param batch     samples per micro-batch; null for the GCN (full batch)
 * @param depth     depth multiplier; 1 for the convnet, which has no depth setting
 * @param shiftAt   the step at which shifting data changes domain; null for data that does not shift
 * @param regime    a regime preset name or regime file path
 * @param inject    the faults to inject, as {@link Faults#parse} reads them ("" for none)
 * @param init      initial weights read from a safetensors file instead of the model's own initialisation (null:
 *                  none); its SHA-256 is part of the record, so a changed file is caught before it trains
 */
public record RunConfig(String model, String data, long steps, Integer batch, double width, double depth, long seed,
                        int microBatches, long evalEvery, DType precision, StatePrecision statePrecision, Long shiftAt,
                        int threads, String regime, String inject, Recipe recipe, Init init) {
    /** A safetensors file of initial weights and the SHA-256 of its bytes. */
    public record Init(String path, String sha256) {
        public Init {
            if (path == null || path.isBlank() || sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("init: needs a path and a 64-digit lower-case SHA-256, got " + path
                        + ", " + sha256);
            }
        }
    }

    public static final List<String> MODELS = List.of("gpt", "mlp", "convnet", "resnet", "gcn");
    public static final List<String> IMAGE_MODELS = List.of("mlp", "convnet", "resnet");
    public static final String FASHION_SHIFT = "fashion-mnist-shift";
    public static final String JDK_SHIFT = "jdk-shift";
    private static final List<String> TEXT_DATA = List.of("jdk-util", JDK_SHIFT);
    private static final List<String> IMAGE_DATA = List.of("fashion-mnist", FASHION_SHIFT, "shapes");

    /** A run that starts from the model's own initialisation. */
    public RunConfig(String model, String data, long steps, Integer batch, double width, double depth, long seed,
                     int microBatches, long evalEvery, DType precision, StatePrecision statePrecision, Long shiftAt,
                     int threads, String regime, String inject, Recipe recipe) {
        this(model, data, steps, batch, width, depth, seed, microBatches, evalEvery, precision, statePrecision,
                shiftAt, threads, regime, inject, recipe, null);
    }

    public RunConfig {
        if (!MODELS.contains(model)) {
            throw new IllegalArgumentException("--model must be gpt, mlp, convnet, resnet or gcn, got '" + model + "'");
        }
        checkData(model, data);
        if (steps < 1 || microBatches < 1 || evalEvery < 0 || threads < 1 || (batch != null && batch < 1)
                || !(width > 0) || !(depth > 0) || Double.isInfinite(width) || Double.isInfinite(depth)) {
            throw new IllegalArgumentException("run: need steps, micro-batches, threads and batch >= 1, eval-every"
                    + " >= 0, width and depth positive and finite; got steps " + steps + ", micro-batches "
                    + microBatches + ", threads " + threads + ", batch " + batch + ", eval-every " + evalEvery
                    + ", width " + width + ", depth " + depth);
        }
        if ((batch == null) != model.equals("gcn")) {
            throw new IllegalArgumentException(model.equals("gcn")
                    ? "--batch does not apply to gcn (it trains on the whole graph); it applies to gpt, mlp, convnet,"
                    + " resnet" : model + " needs a batch size");
        }
        if (model.equals("convnet") && depth != 1) {
            throw new IllegalArgumentException("--depth does not apply to convnet (its depth is fixed); it applies to"
                    + " gpt, mlp, resnet, gcn");
        }
        boolean shifting = FASHION_SHIFT.equals(data) || JDK_SHIFT.equals(data);
        if (shifting && shiftAt == null) {
            throw new IllegalArgumentException("--data " + data + " shifts: it needs a shift step (--shift-at)");
        }
        if (!shifting && shiftAt != null) {
            throw new IllegalArgumentException("--shift-at needs a shifting dataset (--data " + FASHION_SHIFT + " or "
                    + JDK_SHIFT + "), got --data " + data);
        }
        if (shiftAt != null && (shiftAt < 0 || shiftAt >= steps)) {
            throw new IllegalArgumentException("--shift-at " + shiftAt + " is not below --steps " + steps
                    + ": the data would never shift");
        }
        Faults faults = Faults.parse(inject);
        if (faults.lastStep() > steps) {
            throw new IllegalArgumentException("--inject " + inject + ": step " + faults.lastStep() + " is past the"
                    + " last step " + steps);
        }
        inject = faults.spec();
        if (regime == null || regime.isBlank()) {
            throw new IllegalArgumentException("run: a regime is needed (a preset name or a regime file)");
        }
    }

    /** This run with another thread count, regime and faults (which change where it goes, not its recipe). */
    public RunConfig with(int threads, String regime, String inject) {
        return new RunConfig(model, data, steps, batch, width, depth, seed, microBatches, evalEvery, precision,
                statePrecision, shiftAt, threads, regime, inject, recipe, init);
    }

    /** This run starting from the weights in init. */
    public RunConfig withInit(Init init) {
        return new RunConfig(model, data, steps, batch, width, depth, seed, microBatches, evalEvery, precision,
                statePrecision, shiftAt, threads, regime, inject, recipe, init);
    }

    /** The faults inject names. */
    public Faults faults() {
        return Faults.parse(inject);
    }

    /** Fails when data does not apply to model, saying what model trains on and what data applies to. */
    private static void checkData(String model, String data) {
        if (data == null || data.isBlank()) {
            throw new IllegalArgumentException("run: no data named");
        }
        String appliesTo = TEXT_DATA.contains(data) ? "gpt" : IMAGE_DATA.contains(data) ? "mlp, convnet, resnet"
                : data.equals("synthetic") ? "every model" : "gpt (a text file or folder) and mlp, convnet, resnet"
                + " (a folder of IDX files)";
        String what = data.equals("synthetic") || TEXT_DATA.contains(data) || IMAGE_DATA.contains(data) ? data
                : "a path";
        switch (model) {
            case "gcn" -> {
                if (!data.equals("synthetic")) {
                    throw new IllegalArgumentException("gcn trains on the synthetic graph (--data synthetic); " + what
                            + " applies to " + appliesTo);
                }
            }
            case "gpt" -> {
                if (IMAGE_DATA.contains(data)) {
                    throw new IllegalArgumentException("gpt trains on text (--data jdk-util, " + JDK_SHIFT
                            + ", synthetic or a text file or folder); " + data + " applies to " + appliesTo);
                }
            }
            default -> {
                if (TEXT_DATA.contains(data)) {
                    throw new IllegalArgumentException(model + " trains on images (--data fashion-mnist, "
                            + FASHION_SHIFT + ", synthetic, shapes or a folder of IDX files); " + data
                            + " applies to " + appliesTo);
                }
            }
        }
    }

    /** The "run" object of config.json. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("data", data);
        m.put("steps", steps);
        if (batch != null) {
            m.put("batch", batch);
        }
        m.put("width", width);
        m.put("depth", depth);
        m.put("seed", seed);
        m.put("micro_batches", microBatches);
        m.put("eval_every", evalEvery);
        m.put("precision", precision.shortName());
        m.put("state_precision", statePrecision.name().toLowerCase(Locale.ROOT));
        if (shiftAt != null) {
            m.put("shift_at", shiftAt);
        }
        m.put("threads", threads);
        m.put("regime", regime);
        m.put("inject", inject);
        m.put("recipe", recipe.toJson());
        if (init != null) {
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("path", init.path());
            i.put("sha256", init.sha256());
            m.put("init", i);
        }
        return m;
    }

    /** Reads {@link #toJson()}'s form; where names it in errors (e.g. "runs/x/config.json: run"). */
    public static RunConfig fromJson(Map<?, ?> m, String where) {
        JsonFields f = new JsonFields(m, where);
        f.only("model", "data", "steps", "batch", "width", "depth", "seed", "micro_batches", "eval_every",
                "precision", "state_precision", "shift_at", "threads", "regime", "inject", "recipe", "init");
        if (!(f.raw("recipe") instanceof Map<?, ?> recipe)) {
            throw new IllegalArgumentException(where + ": field 'recipe' must be an object");
        }
        try {
            return new RunConfig(f.string("model"), f.string("data"), f.integer("steps"),
                    f.has("batch") ? Math.toIntExact(f.integer("batch")) : null, f.number("width"), f.number("depth"),
                    f.integer("seed"), Math.toIntExact(f.integer("micro_batches")), f.integer("eval_every"),
                    precision(f.string("precision")), statePrecision(f.string("state_precision")),
                    f.has("shift_at") ? f.integer("shift_at") : null, Math.toIntExact(f.integer("threads")),
                    f.string("regime"), f.string("inject"), Recipe.fromJson(recipe, where + ".recipe"),
                    f.has("init") ? init(f.raw("init"), where + ".init") : null);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static Init init(Object json, String where) {
        if (!(json instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": must be an object with path and sha256");
        }
        JsonFields f = new JsonFields(m, where);
        f.only("path", "sha256");
        return new Init(f.string("path"), f.string("sha256"));
    }

    /** f32, bf16 or f16. */
    public static DType precision(String s) {
        return switch (s) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--precision must be f32, bf16 or f16, got '" + s + "'");
        };
    }

    /** f32, bf16 or q8. */
    public static StatePrecision statePrecision(String s) {
        return switch (s) {
            case "f32" -> StatePrecision.F32;
            case "bf16" -> StatePrecision.BF16;
            case "q8" -> StatePrecision.Q8;
            default -> throw new IllegalArgumentException("--state-precision must be f32, bf16 or q8, got '" + s
                    + "'");
        };
    }
}
