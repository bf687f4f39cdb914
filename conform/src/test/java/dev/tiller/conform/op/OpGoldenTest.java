package dev.tiller.conform.op;

import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.ShippedCases;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every op case of the shipped ops.json (PyTorch 2.11, float64 reference) passes with the file's tolerances. */
class OpGoldenTest {
    @TestFactory
    List<DynamicTest> everyShippedOpCasePasses() throws IOException {
        return ShippedCases.everyCase("ops.json", 45, OpCases::check);
    }

    @Test
    void malformedCasesNameTheFileTheCaseAndTheField() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"n\","
                        + " \"op\": \"frobnicate\", \"atol\": 0, \"rtol\": 0, \"inputs\": {}}")));
        assertTrue(unknown.getMessage().startsWith("my.json: case 4 (n): field 'op': unknown op 'frobnicate'"),
                unknown.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"e\","
                        + " \"op\": \"exp\", \"atol\": 0, \"rtol\": 0, \"inputs\": {\"x\": {\"shape\": [2]}}}")));
        assertTrue(missing.getMessage().startsWith("my.json: case 4 (e): field 'inputs.x.data': missing"),
                missing.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"c\","
                        + " \"op\": \"exp\", \"atol\": 0, \"rtol\": 0,"
                        + " \"inputs\": {\"x\": {\"shape\": [3], \"data\": [1, 2]}}}")));
        assertTrue(count.getMessage().contains("field 'inputs.x.data': has 2 values but shape [3] needs 3"),
                count.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static GoldenCase parse(String json) {
        return new GoldenCase("my.json", 4, (Map<String, Object>) Json.parse(json, "test"));
    }
}
