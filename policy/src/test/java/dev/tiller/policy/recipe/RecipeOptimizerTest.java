package dev.tiller.policy.recipe;

import dev.tiller.optim.schedule.Schedule;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optimizer choice of a recipe: published defaults, schedules, JSON round trips and errors that name values. */
class RecipeOptimizerTest {
    private static void fails(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void adamwIsTheModelsRecipeUnchanged() {
        for (String model : List.of("gpt", "mlp", "convnet", "resnet", "gcn")) {
            Recipe base = Recipe.defaults(model, 1500, null);
            assertSame(base, base.withOptimizer("adamw"));
            assertEquals(base, Recipe.defaults(model, 1500, null, "adamw"));
            assertEquals(Recipe.defaults(model, 1500, 3e-4), Recipe.defaults(model, 1500, 3e-4, "adamw"));
            assertEquals(Map.of(), base.options());
            assertFalse(base.toJson().containsKey("options"), "an AdamW config.json reads as before");
        }
    }

    /** facebookresearch/schedule_free's AdamWScheduleFree defaults, with the model's decay, warm-up and clip. */
    @Test
    void scheduleFreeTakesTheReferenceDefaults() {
        Recipe r = Recipe.defaults("gpt", 1500, null, "schedule-free-adamw");
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("weight_lr_power", 2.0);
        assertEquals(new Recipe("schedule-free-adamw", 0.0025, 0.9, 0.999, 1e-8, 0.1, "warmup-constant", 100, 0.01,
                1.0, 1.0, 32, options), r);
        assertEquals(0.01, Recipe.defaults("gpt", 1500, 0.01, "schedule-free-adamw").lr(), "--lr overrides");
        Schedule lr = r.lrSchedule(1500);
        assertEquals(0.0025 / 100, lr.at(0));
        assertEquals(0.0025 * 50 / 100, lr.at(49));
        assertEquals(0.0025, lr.at(99));
        assertEquals(0.0025, lr.at(100));
        assertEquals(0.0025, lr.at(1499), "no decay schedule");
        assertEquals("linear warm-up to the peak over 100 steps (lr x min(t + 1, 100) / 100), then constant",
                r.describeSchedule());
    }

    /** konstmish/prodigy's defaults, safeguard_warmup on (its README's advice with a warm-up), bias correction off. */
    @Test
    void prodigyTakesTheReferenceDefaultsUnderTheWarmupAndCosine() {
        Recipe adamw = Recipe.defaults("convnet", 1000, null);
        Recipe r = adamw.withOptimizer("prodigy");
        assertEquals("prodigy", r.optimizer());
        assertEquals(1.0, r.lr());
        assertEquals(0.9, r.beta1());
        assertEquals(0.999, r.beta2());
        assertEquals(1e-8, r.eps());
        assertEquals(0.01, r.weightDecay());
        assertEquals(Math.sqrt(0.999), r.option("beta3"));
        assertEquals(1e-6, r.option("d0"));
        assertEquals(1.0, r.option("d_coef"));
        assertTrue(r.flag("safeguard_warmup"));
        assertFalse(r.flag("bias_correction"));
        assertEquals("warmup-cosine", r.schedule());
        assertEquals(adamw.warmup(), r.warmup());
        assertEquals(adamw.lrSchedule(1000).at(0) / adamw.lr(), r.lrSchedule(1000).at(0), 1e-15);
        assertEquals(0.1, r.lrSchedule(1000).at(999), 1e-3, "cosine to 10% of the factor");
        assertEquals(adamw.describeSchedule(), r.describeSchedule());
    }

    @Test
    void everyOptimizersRecipeReadsBackFromItsJsonText() {
        for (String opt : Recipe.OPTIMIZERS) {
            for (String model : List.of("gpt", "gcn")) {
                Recipe r = Recipe.defaults(model, 777, null, opt);
                Map<?, ?> json = (Map<?, ?>) Json.parse(Json.write(r.toJson()), "test");
                assertEquals(r, Recipe.fromJson(json, "test"), opt + " " + model);
            }
        }
    }

    @Test
    void badChoicesNameWhatIsAllowed() {
        fails("optimizer must be one of adamw, schedule-free-adamw, prodigy, adamw-hd; got 'sgd'",
                () -> Recipe.defaults("gpt", 100, null, "sgd"));
        fails("optimizer must be one of adamw, schedule-free-adamw, prodigy, adamw-hd; got 'lion'",
                () -> new Recipe("lion", 1e-3, 0.9, 0.95, 1e-8, 0.1, "warmup-cosine", 10, 0.01, 0.1, 1, 0));
        fails("optimizer schedule-free-adamw runs schedule 'warmup-constant', got 'warmup-cosine'",
                () -> new Recipe("schedule-free-adamw", 1e-3, 0.9, 0.95, 1e-8, 0.1, "warmup-cosine", 10, 0.1, 1, 1, 0,
                        Map.of("weight_lr_power", 2.0)));
        fails("warmup_start must be 0.1 and final_fraction 1",
                () -> new Recipe("schedule-free-adamw", 1e-3, 0.9, 0.95, 1e-8, 0.1, "warmup-constant", 10, 0.01, 1, 1,
                        0, Map.of("weight_lr_power", 2.0)));
        fails("optimizer prodigy takes the options beta3, d0, d_coef, safeguard_warmup, bias_correction; got (none)",
                () -> new Recipe("prodigy", 1, 0.9, 0.999, 1e-8, 0.1, "warmup-cosine", 10, 0.01, 0.1, 1, 0));
        fails("optimizer adamw takes the options (none); got weight_lr_power",
                () -> new Recipe("adamw", 1e-3, 0.9, 0.95, 1e-8, 0.1, "warmup-cosine", 10, 0.01, 0.1, 1, 0,
                        Map.of("weight_lr_power", 2.0)));
        Map<String, Object> bad = new LinkedHashMap<>(Recipe.defaults("gpt", 100, null, "prodigy").options());
        bad.put("safeguard_warmup", 1.0);
        fails("option safeguard_warmup of prodigy must be true or false, got 1.0",
                () -> new Recipe("prodigy", 1, 0.9, 0.999, 1e-8, 0.1, "warmup-cosine", 10, 0.01, 0.1, 1, 0, bad));
        fails("only an AdamW recipe knows the model's AdamW values",
                () -> Recipe.defaults("gpt", 100, null, "prodigy").withOptimizer("adamw"));
        Map<String, Object> json = new LinkedHashMap<>(Recipe.defaults("gpt", 100, null, "prodigy").toJson());
        json.put("optimizer", "adam");
        fails("config.json: run.recipe: recipe: optimizer must be one of adamw, schedule-free-adamw, prodigy, adamw-hd",
                () -> Recipe.fromJson(json, "config.json: run.recipe"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Recipe.defaults("gpt", 100, null, "prodigy").hyper());
        assertTrue(e.getMessage().contains("hyper() is AdamW's record; this recipe's optimizer is prodigy"),
                e.getMessage());
    }
}
