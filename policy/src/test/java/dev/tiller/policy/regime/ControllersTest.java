package dev.tiller.policy.regime;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControllersTest {
    private static String error(String type, Map<String, Object> params) {
        return assertThrows(IllegalArgumentException.class, () -> Controllers.create(
                new RegimeSpec.ControllerSpec(type, params), "adaptive.json: controllers[2]")).getMessage();
    }

    @Test
    void everyTypeBuildsWithDefaultsAndTakesItsName() {
        for (String type : Controllers.TYPES) {
            assertEquals(type, Controllers.create(new RegimeSpec.ControllerSpec(type, Map.of()), "t").name());
            assertEquals("mine", Controllers.create(new RegimeSpec.ControllerSpec(type, Map.of("name", "mine")), "t")
                    .name());
        }
    }

    @Test
    void errorsNameWhereTheFieldAndWhatIsAllowed() {
        String m = error("plateau", Map.of());
        assertTrue(m.startsWith("adaptive.json: controllers[2]: type \"plateau\" is not allowed") && m.contains(
                "plateau_lr, caution_lr, curvature_cap, momentum, weight_decay, zclip, batch, shift, spike,"
                + " reduce_on_plateau"), m);
        m = error("curvature_cap", Map.of("margin", 1.0));
        assertTrue(m.contains("controllers[2]") && m.contains("params.margin = 1.0") && m.contains("(0, 1)"), m);
        m = error("shift", Map.of("anchor", 1.5));
        assertTrue(m.contains("params.anchor") && m.contains("contraction"), m);
        m = error("spike", Map.of("persist", 9));
        assertTrue(m.contains("params.persist = 9") && m.contains("[1, 5]"), m);
        m = error("zclip", Map.of("alpah", 0.9));
        assertTrue(m.contains("unknown field params.alpah") && m.contains("alpha, base_clip"), m);
        m = error("momentum", Map.of("family", "lion"));
        assertTrue(m.contains("params.family = \"lion\"") && m.contains("\"adam\", \"sgd\""), m);
        m = error("caution_lr", Map.of("high", 1.0, "low", 2.0));
        assertTrue(m.contains("params.low") && m.contains("must not exceed high"), m);
        m = error("spike", Map.of("skip_spikes", "yes"));
        assertTrue(m.contains("params.skip_spikes") && m.contains("true or false"), m);
    }
}
