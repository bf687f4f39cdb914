package dev.tiller.policy.recipe;

import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.schedule.CosineAnnealingLr;
import dev.tiller.optim.schedule.LinearLr;
import dev.tiller.optim.schedule.Schedule;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's training recipe: the optimizer (decay on the model's matrices only) with betas, eps and weight decay; the
 * learning-rate schedule; global-norm clipping at clip; evalBatches validation batches (text models); and the
 * optimizer's own options. {@link #defaults} gives each model's AdamW recipe of docs/workloads.md and
 * {@link #withOptimizer} swaps in another optimizer at its published defaults; a run's config.json holds the recipe it
 * used, values resolved, so it reproduces without them.
 *
 * <p>Optimizers and their schedules:
 * <ul>
 * <li>"adamw" with "warmup-cosine": a linear warm-up from warmupStart x lr over warmup steps, then cosine to
 *     finalFraction x lr by the last step; no options.</li>
 * <li>"schedule-free-adamw" with "warmup-constant": lr x min(t + 1, warmup) / warmup at step t, then lr to the end
 *     (the reference's warmup_steps; schedule-free needs no decay), so warmupStart is 1 / warmup and finalFraction 1;
 *     option weight_lr_power.</li>
 * <li>"prodigy" with "warmup-cosine" (lr is the factor on Prodigy's estimated step size); options beta3, d0, d_coef,
 *     safeguard_warmup and bias_correction.</li>
 * </ul>
 */
public record Recipe(String optimizer, double lr, double beta1, double beta2, double eps, double weightDecay,
                     String schedule, long warmup, double warmupStart, double finalFraction, double clip,
                     int evalBatches, Map<String, Object> options) {
    public static final String ADAMW = "adamw";
    public static final String SCHEDULE_FREE_ADAMW = "schedule-free-adamw";
    public static final String PRODIGY = "prodigy";
    public static final String ADAMW_HD = "adamw-hd";
    /** The optimizers a recipe may name, in the order errors list them. */
    public static final List<String> OPTIMIZERS = List.of(ADAMW, SCHEDULE_FREE_ADAMW, PRODIGY, ADAMW_HD);
    public static final String WARMUP_COSINE = "warmup-cosine";
    public static final String WARMUP_CONSTANT = "warmup-constant";

    public Recipe {
        if (!OPTIMIZERS.contains(optimizer)) {
            throw new IllegalArgumentException("recipe: optimizer must be one of " + String.join(", ", OPTIMIZERS)
                    + "; got '" + optimizer + "'");
        }
        String wanted = scheduleOf(optimizer);
        if (!wanted.equals(schedule)) {
            throw new IllegalArgumentException("recipe: optimizer " + optimizer + " runs schedule '" + wanted
                    + "', got '" + schedule + "'");
        }
        if (!(lr > 0) || !(clip > 0) || warmup < 1 || !(warmupStart > 0) || !(finalFraction >= 0) || evalBatches < 0
                || !Double.isFinite(lr) || !Double.isFinite(clip)) {
            throw new IllegalArgumentException("recipe: need lr > 0, clip > 0, warmup >= 1, warmup_start > 0,"
                    + " final_fraction >= 0 and eval_batches >= 0, all finite; got lr " + lr + ", clip " + clip
                    + ", warmup " + warmup + ", warmup_start " + warmupStart + ", final_fraction " + finalFraction
                    + ", eval_batches " + evalBatches);
        }
        if (WARMUP_CONSTANT.equals(schedule) && (warmupStart != 1.0 / warmup || finalFraction != 1.0)) {
            throw new IllegalArgumentException("recipe: schedule " + WARMUP_CONSTANT + " starts at 1 / warmup and"
                    + " ends at the peak, so warmup_start must be " + 1.0 / warmup + " and final_fraction 1; got "
                    + warmupStart + " and " + finalFraction);
        }
        options = checkedOptions(optimizer, options);
    }

    /** An AdamW recipe (no options). */
    public Recipe(String optimizer, double lr, double beta1, double beta2, double eps, double weightDecay,
                  String schedule, long warmup, double warmupStart, double finalFraction, double clip,
                  int evalBatches) {
        this(optimizer, lr, beta1, beta2, eps, weightDecay, schedule, warmup, warmupStart, finalFraction, clip,
                evalBatches, Map.of());
    }

    /** The schedule optimizer runs under. */
    static String scheduleOf(String optimizer) {
        return SCHEDULE_FREE_ADAMW.equals(optimizer) || ADAMW_HD.equals(optimizer) ? WARMUP_CONSTANT : WARMUP_COSINE;
    }

    /**
     * The options each optimizer takes, at its published defaults, in JSON order: schedule-free-adamw's
     * weight_lr_power 2 (facebookresearch/schedule_free AdamWScheduleFree; its r is 0, the only value the optim
     * layer implements); prodigy's beta3 sqrt(0.999), d0 1e-6, d_coef 1 (konstmish/prodigy), safeguard_warmup true
     * (that README's advice with a warm-up) and bias_correction false (the reference's default); adamw-hd's
     * hypergrad_lr 1e-8 (gbaydin/hypergradient-descent's adam_hd.py).
     */
    static Map<String, Object> defaultOptions(String optimizer) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (optimizer) {
            case SCHEDULE_FREE_ADAMW -> m.put("weight_lr_power", 2.0);
            case ADAMW_HD -> m.put("hypergrad_lr", 1e-8);
            case PRODIGY -> {
                m.put("beta3", Math.sqrt(0.999));
                m.put("d0", 1e-6);
                m.put("d_coef", 1.0);
                m.put("safeguard_warmup", true);
                m.put("bias_correction", false);
            }
            default -> { }
        }
        return m;
    }

    /** options as an unmodifiable copy in the default order, each name known to optimizer and of its default's type. */
    private static Map<String, Object> checkedOptions(String optimizer, Map<String, Object> options) {
        Map<String, Object> defaults = defaultOptions(optimizer);
        if (options == null || !options.keySet().equals(defaults.keySet())) {
            throw new IllegalArgumentException("recipe: optimizer " + optimizer + " takes the options "
                    + (defaults.isEmpty() ? "(none)" : String.join(", ", defaults.keySet())) + "; got "
                    + (options == null ? "null" : options.keySet().isEmpty() ? "(none)"
                    : String.join(", ", options.keySet())));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            Object v = options.get(e.getKey());
            boolean ok = e.getValue() instanceof Boolean ? v instanceof Boolean
                    : v instanceof Number n && Double.isFinite(n.doubleValue());
            if (!ok) {
                throw new IllegalArgumentException("recipe: option " + e.getKey() + " of " + optimizer + " must be "
                        + (e.getValue() instanceof Boolean ? "true or false" : "a finite number") + ", got " + v);
            }
            out.put(e.getKey(), v instanceof Number n ? (Object) n.doubleValue() : v);
        }
        return Collections.unmodifiableMap(out);
    }

    /** The numeric option name (see {@link #defaultOptions}). */
    public double option(String name) {
        if (!(options.get(name) instanceof Double d)) {
            throw new IllegalArgumentException("recipe: " + optimizer + " has no numeric option '" + name + "'");
        }
        return d;
    }

    /** The true/false option name (see {@link #defaultOptions}). */
    public boolean flag(String name) {
        if (!(options.get(name) instanceof Boolean b)) {
            throw new IllegalArgumentException("recipe: " + optimizer + " has no true/false option '" + name + "'");
        }
        return b;
    }

    /**
     * The recipe of model for a run of steps steps (lr null: the model's default): the GPT at lr 1e-3, betas
     * 0.9/0.95, decay 0.1, warm-up min(100, steps / 10), 8 validation batches (32 from 1000 steps); the image models
     * at lr 1e-3, betas 0.9/0.999, decay 0.01, warm-up min(100, steps / 20); the GCN at lr 1e-2, decay 5e-4, no
     * warm-up to speak of (1 step). All clip the global norm at 1 and end the cosine at 10% of the peak.
     */
    public static Recipe defaults(String model, long steps, Double lr) {
        return switch (model) {
            case "gpt" -> new Recipe(ADAMW, lr == null ? 1e-3 : lr, 0.9, 0.95, 1e-8, 0.1, WARMUP_COSINE,
                    Math.min(100, Math.max(1, steps / 10)), 0.01, 0.1, 1.0, steps >= 1000 ? 32 : 8);
            case "gcn" -> new Recipe(ADAMW, lr == null ? 1e-2 : lr, 0.9, 0.999, 1e-8, 5e-4, WARMUP_COSINE, 1, 0.01,
                    0.1, 1.0, 0);
            case "mlp", "convnet", "resnet" -> new Recipe(ADAMW, lr == null ? 1e-3 : lr, 0.9, 0.999, 1e-8, 0.01,
                    WARMUP_COSINE, Math.min(100, Math.max(1, steps / 20)), 0.01, 0.1, 1.0, 0);
            default -> throw new IllegalArgumentException("no recipe for model '" + model + "'; models are gpt, mlp,"
                    + " convnet, resnet, gcn");
        };
    }

    /**
     * {@link #defaults}, then {@link #withOptimizer}(optimizer): the optimizer at its published defaults, lr null
     * meaning the optimizer's default learning rate (the model's for adamw).
     */
    public static Recipe defaults(String model, long steps, Double lr, String optimizer) {
        Recipe r = defaults(model, steps, null).withOptimizer(optimizer);
        return lr == null ? r : r.withLr(lr);
    }

    /**
     * This recipe with optimizer at its published defaults, keeping the model's weight decay, warm-up length, clip
     * and validation batches: "adamw" returns this recipe as it is; "schedule-free-adamw" takes
     * facebookresearch/schedule_free's AdamWScheduleFree defaults (lr 0.0025, betas 0.9/0.999, eps 1e-8,
     * weight_lr_power 2) and its own linear warm-up over the warm-up steps, then a constant lr (no decay schedule);
     * "prodigy" takes konstmish/prodigy's defaults (lr 1, betas 0.9/0.999, beta3 sqrt(beta2), eps 1e-8, d0 1e-6,
     * d_coef 1, no bias correction) with safeguard_warmup on, under this recipe's warm-up and cosine; "adamw-hd"
     * keeps this AdamW recipe's values and learns the learning rate online by hypergradient descent (Baydin et al.
     * 2018) from the recipe's warm-up on, with no decay schedule (the method's own rule moves the rate).
     */
    public Recipe withOptimizer(String name) {
        return switch (name) {
            case ADAMW -> {
                if (!ADAMW.equals(optimizer)) {
                    throw new IllegalArgumentException("recipe: only an AdamW recipe knows the model's AdamW values;"
                            + " take adamw from Recipe.defaults, not from a " + optimizer + " recipe");
                }
                yield this;
            }
            case SCHEDULE_FREE_ADAMW -> new Recipe(SCHEDULE_FREE_ADAMW, 0.0025, 0.9, 0.999, 1e-8, weightDecay,
                    WARMUP_CONSTANT, warmup, 1.0 / warmup, 1.0, clip, evalBatches, defaultOptions(SCHEDULE_FREE_ADAMW));
            case ADAMW_HD -> {
                if (!ADAMW.equals(optimizer)) {
                    throw new IllegalArgumentException("recipe: adamw-hd takes the model's AdamW values; take it from"
                            + " Recipe.defaults, not from a " + optimizer + " recipe");
                }
                yield new Recipe(ADAMW_HD, lr, beta1, beta2, eps, weightDecay, WARMUP_CONSTANT, warmup, 1.0 / warmup,
                        1.0, clip, evalBatches, defaultOptions(ADAMW_HD));
            }
            case PRODIGY -> new Recipe(PRODIGY, 1.0, 0.9, 0.999, 1e-8, weightDecay, WARMUP_COSINE, warmup, warmupStart,
                    finalFraction, clip, evalBatches, defaultOptions(PRODIGY));
            default -> throw new IllegalArgumentException("recipe: optimizer must be one of "
                    + String.join(", ", OPTIMIZERS) + "; got '" + name + "'");
        };
    }

    /** This recipe with peak learning rate lr. */
    public Recipe withLr(double lr) {
        return new Recipe(optimizer, lr, beta1, beta2, eps, weightDecay, schedule, warmup, warmupStart, finalFraction,
                clip, evalBatches, options);
    }

    /** AdamW's hyperparameters at the peak learning rate (the schedule sets lr each step); adamw recipes only. */
    public AdamWHyper hyper() {
        if (!ADAMW.equals(optimizer)) {
            throw new IllegalStateException("recipe: hyper() is AdamW's record; this recipe's optimizer is "
                    + optimizer + " (see Optimizers.build)");
        }
        return new AdamWHyper((float) lr, (float) beta1, (float) beta2, (float) eps, (float) weightDecay, false,
                false);
    }

    /** The learning rate over a run of steps steps, as {@link #schedule} names it. */
    public Schedule lrSchedule(long steps) {
        if (WARMUP_CONSTANT.equals(schedule)) {
            double peak = lr;
            long w = warmup;
            return t -> t + 1 >= w ? peak : peak * (t + 1) / w;
        }
        return Schedule.sequence(List.of(new LinearLr(lr, warmupStart, 1.0, warmup),
                new CosineAnnealingLr(lr, Math.max(1, steps - warmup), lr * finalFraction)), warmup);
    }

    /** The schedule in words, for config.json. */
    public String describeSchedule() {
        if (WARMUP_CONSTANT.equals(schedule)) {
            return "linear warm-up to the peak over " + warmup + " steps (lr x min(t + 1, " + warmup + ") / "
                    + warmup + "), then constant";
        }
        return "linear warm-up from " + pct(warmupStart) + " over " + warmup + " steps, then cosine to "
                + pct(finalFraction);
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.4g%%", f * 100).replaceAll("\\.?0+%$", "%");
    }

    public GlobalNormClip clipper() {
        return GlobalNormClip.l2((float) clip);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("schedule", schedule);
        m.put("warmup", warmup);
        m.put("warmup_start", warmupStart);
        m.put("final_fraction", finalFraction);
        m.put("clip", clip);
        m.put("eval_batches", evalBatches);
        if (!options.isEmpty()) {
            m.put("options", new LinkedHashMap<>(options));     // absent for adamw: its config.json reads as before
        }
        return m;
    }

    /** Reads {@link #toJson()}'s form; where names the object in errors (e.g. "config.json: run.recipe"). */
    public static Recipe fromJson(Map<?, ?> m, String where) {
        JsonFields f = new JsonFields(m, where);
        f.only("optimizer", "lr", "beta1", "beta2", "eps", "weight_decay", "schedule", "warmup", "warmup_start",
                "final_fraction", "clip", "eval_batches", "options");
        Map<String, Object> options = new LinkedHashMap<>();
        if (f.has("options")) {
            if (!(f.raw("options") instanceof Map<?, ?> o)) {
                throw new IllegalArgumentException(where + ": field 'options' must be an object");
            }
            o.forEach((k, v) -> options.put(String.valueOf(k), v));
        }
        try {
            return new Recipe(f.string("optimizer"), f.number("lr"), f.number("beta1"), f.number("beta2"),
                    f.number("eps"), f.number("weight_decay"), f.string("schedule"), f.integer("warmup"),
                    f.number("warmup_start"), f.number("final_fraction"), f.number("clip"),
                    Math.toIntExact(f.integer("eval_batches")), options);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }
}
