package dev.tiller.tensor.io;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(
                "{\"a\": [1, -2.5e-3, true, false, null], \"s\": \"x\\\"y\\u00e9\\n\", \"o\": {}}", "t");
        assertEquals(List.of(1.0, -2.5e-3, true, false), ((List<?>) m.get("a")).subList(0, 4));
        assertNull(((List<?>) m.get("a")).get(4));
        assertEquals("x\"y\u00e9\n", m.get("s"));
        assertEquals(Map.of(), m.get("o"));
    }

    @Test
    void syntaxErrorsNameSourceLineAndColumn() {
        Json.JsonException e =
                assertThrows(Json.JsonException.class, () -> Json.parse("{\n  \"a\": [1, 2,]\n}", "f.json"));
        assertTrue(e.getMessage().startsWith("f.json:2:"), e.getMessage());
        assertThrows(Json.JsonException.class, () -> Json.parse("[1] 2", "g"));
        assertThrows(Json.JsonException.class, () -> Json.parse("\"open", "g"));
    }

    @Test
    void writeThenParseRoundTrips() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", 12);
        m.put("loss", 0.1f);
        m.put("lr", new double[] {3e-4, 1.5e-4});
        m.put("why", "z=3.4 > 3\t\"ok\"");
        m.put("nan", Double.NaN);
        String text = Json.write(m);
        assertEquals("{\"step\":12,\"loss\":0.1,\"lr\":[3.0E-4,1.5E-4],"
                + "\"why\":\"z=3.4 > 3\\t\\\"ok\\\"\",\"nan\":null}", text);
        @SuppressWarnings("unchecked")
        Map<String, Object> back = (Map<String, Object>) Json.parse(text, "roundtrip");
        assertEquals(12.0, back.get("step"));
        assertEquals(0.1f, ((Double) back.get("loss")).floatValue());
        assertEquals("z=3.4 > 3\t\"ok\"", back.get("why"));
    }

    @Test
    void nestingIsBoundedSoACraftedFileIsAnErrorNotAStackOverflow() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertTrue(Json.parse(ok, "ok.json") instanceof List<?>);
        String deep = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(deep, "deep.json"));
        assertTrue(e.getMessage().startsWith("deep.json:1:") && e.getMessage().contains("nested more than "
                + Json.MAX_DEPTH + " levels deep"), e.getMessage());
        assertThrows(Json.JsonException.class, () -> Json.parse("[".repeat(Json.MAX_DEPTH + 1)
                + "]".repeat(Json.MAX_DEPTH + 1), "one.json"));
    }
}
