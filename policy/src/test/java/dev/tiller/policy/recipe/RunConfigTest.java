package dev.tiller.policy.recipe;

import dev.tiller.optim.StatePrecision;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {
    private static RunConfig gpt(String data, Long shiftAt, String inject) {
        return new RunConfig("gpt", data, 1500, 16, 1, 1, 7, 2, 100, DType.BF16, StatePrecision.Q8, shiftAt, 2,
                "static", inject, Recipe.defaults("gpt", 1500, null));
    }

    @Test
    void aRunReadsBackFromItsJsonText() {
        for (RunConfig c : new RunConfig[] {gpt("jdk-shift", 700L, "nan-grad@700,lr-spike@900x100,poison@1100"),
            new RunConfig("gcn", "synthetic", 30, null, 1.5, 2, 3, 1, 0, DType.F32, StatePrecision.F32, null, 1,
                    "static", "", Recipe.defaults("gcn", 30, 0.02))}) {
            Map<?, ?> json = (Map<?, ?>) Json.parse(Json.write(c.toJson()), "test");
            assertEquals(c, RunConfig.fromJson(json, "test"));
        }
    }

    @Test
    void theGptRecipeIsTheDocumentedOne() {
        Recipe r = Recipe.defaults("gpt", 200, null);
        assertEquals(new Recipe("adamw", 1e-3, 0.9, 0.95, 1e-8, 0.1, "warmup-cosine", 20, 0.01, 0.1, 1.0, 8), r);
        assertEquals(100, Recipe.defaults("gpt", 1500, null).warmup());
        assertEquals(32, Recipe.defaults("gpt", 1500, null).evalBatches());
        assertEquals(0.95f, r.hyper().beta2());
        assertEquals(0.1f, r.hyper().weightDecay());
    }

    private static void fails(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void dataThatDoesNotApplyIsNamedWithWhatApplies() {
        fails("gcn trains on the synthetic graph (--data synthetic); fashion-mnist applies to mlp, convnet, resnet",
                () -> new RunConfig("gcn", "fashion-mnist", 5, null, 1, 1, 0, 1, 0, DType.F32, StatePrecision.F32,
                        null, 1, "static", "", Recipe.defaults("gcn", 5, null)));
        fails("mlp trains on images", () -> new RunConfig("mlp", "jdk-util", 5, 8, 1, 1, 0, 1, 0, DType.F32,
                StatePrecision.F32, null, 1, "static", "", Recipe.defaults("mlp", 5, null)));
        fails("fashion-mnist applies to mlp, convnet, resnet", () -> gpt("fashion-mnist", null, ""));
        fails("--shift-at needs a shifting dataset", () -> gpt("jdk-util", 5L, ""));
        fails("--inject poison@2000: step 2000 is past the last step 1500", () -> gpt("jdk-util", null,
                "poison@2000"));
    }

    @Test
    void aBadFieldIsNamed() {
        Map<String, Object> json = new LinkedHashMap<>(gpt("jdk-util", null, "").toJson());
        json.put("colour", "red");
        fails("cfg: unknown field 'colour'; fields are model, data", () -> RunConfig.fromJson(json, "cfg"));
        json.remove("colour");
        json.put("steps", 1.5);
        fails("cfg: field 'steps' must be an integer", () -> RunConfig.fromJson(json, "cfg"));
        json.put("steps", 10.0);
        json.put("recipe", Map.of("optimizer", "adamw"));
        fails("cfg.recipe: field 'lr' is missing", () -> RunConfig.fromJson(json, "cfg"));
    }
}
