package dev.tiller.policy.recipe;

import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.schedule.CosineAnnealingLr;
import dev.tiller.optim.schedule.LinearLr;
import dev.tiller.optim.schedule.Schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's training recipe: AdamW (decay on the model's matrices only) with betas, eps and weight decay; a linear
 * warm-up from warmupStart x lr over warmup steps, then cosine to finalFraction x lr by the last step; global-norm
 * clipping at clip; evalBatches validation batches (text models). {@link #defaults} gives each model's recipe of
 * docs/workloads.md; a run's config.json holds the recipe it used, values resolved, so it reproduces without them.
 */
public record Recipe(String optimizer, double lr, double beta1, double beta2, double eps, double weightDecay,
                     String schedule, long warmup, double warmupStart, double finalFraction, double clip,
                     int evalBatches) {
    /** The one optimizer and schedule recipes name today. */
    public static final String ADAMW = "adamw";
    public static final String WARMUP_COSINE = "warmup-cosine";

    public Recipe {
        if (!ADAMW.equals(optimizer)) {
            throw new IllegalArgumentException("recipe: optimizer must be '" + ADAMW + "', got '" + optimizer + "'");
        }
        if (!WARMUP_COSINE.equals(schedule)) {
            throw new IllegalArgumentException("recipe: schedule must be '" + WARMUP_COSINE + "', got '" + schedule
                    + "'");
        }
        if (!(lr > 0) || !(clip > 0) || warmup < 1 || !(warmupStart > 0) || !(finalFraction >= 0) || evalBatches < 0
                || !Double.isFinite(lr) || !Double.isFinite(clip)) {
            throw new IllegalArgumentException("recipe: need lr > 0, clip > 0, warmup >= 1, warmup_start > 0,"
                    + " final_fraction >= 0 and eval_batches >= 0, all finite; got lr " + lr + ", clip " + clip
                    + ", warmup " + warmup + ", warmup_start " + warmupStart + ", final_fraction " + finalFraction
                    + ", eval_batches " + evalBatches);
        }
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

    /** The hyperparameters at the peak learning rate (the schedule sets lr each step). */
    public AdamWHyper hyper() {
        return new AdamWHyper((float) lr, (float) beta1, (float) beta2, (float) eps, (float) weightDecay, false,
                false);
    }

    /** The learning rate over a run of steps steps. */
    public Schedule lrSchedule(long steps) {
        return Schedule.sequence(List.of(new LinearLr(lr, warmupStart, 1.0, warmup),
                new CosineAnnealingLr(lr, Math.max(1, steps - warmup), lr * finalFraction)), warmup);
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
        return m;
    }

    /** Reads {@link #toJson()}'s form; where names the object in errors (e.g. "config.json: run.recipe"). */
    public static Recipe fromJson(Map<?, ?> m, String where) {
        JsonFields f = new JsonFields(m, where);
        f.only("optimizer", "lr", "beta1", "beta2", "eps", "weight_decay", "schedule", "warmup", "warmup_start",
                "final_fraction", "clip", "eval_batches");
        return new Recipe(f.string("optimizer"), f.number("lr"), f.number("beta1"), f.number("beta2"), f.number("eps"),
                f.number("weight_decay"), f.string("schedule"), f.integer("warmup"), f.number("warmup_start"),
                f.number("final_fraction"), f.number("clip"), Math.toIntExact(f.integer("eval_batches")));
    }
}
