package dev.tiller.conform.op;

import dev.tiller.conform.GoldenCase;
import dev.tiller.tensor.io.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every op case of shared/golden/ops.json (PyTorch 2.11, float64 reference) passes with the file's tolerances. */
class OpGoldenTest {
    @Test
    void everyGoldenOpCasePasses() throws IOException {
        Path file = Path.of("../../shared/golden/ops.json").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(file), "shared/golden is not beside this checkout: " + file);
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(file), file.toString());
        List<?> cases = (List<?>) root.get("cases");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            @SuppressWarnings("unchecked")
            GoldenCase c = new GoldenCase(file.toString(), i, (Map<String, Object>) cases.get(i));
            try {
                dev.tiller.conform.CaseResult r = OpCases.check(c);
                if (r.status() != dev.tiller.conform.CaseResult.Status.PASS) {
                    failures.add(c.name() + ": " + r.detail());
                }
            } catch (RuntimeException e) {
                failures.add(c.name() + ": " + e);
            }
        }
        assertEquals(45, cases.size());
        assertTrue(failures.isEmpty(), failures.size() + " failing: " + String.join("\n", failures));
    }

    @Test
    void malformedCasesNameTheFileTheCaseAndTheField() {
        IllegalArgumentException unknown = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"n\","
                        + " \"op\": \"frobnicate\", \"atol\": 0, \"rtol\": 0, \"inputs\": {}}")));
        assertTrue(unknown.getMessage().startsWith("my.json: case 4 (n): field 'op': unknown op 'frobnicate'"),
                unknown.getMessage());
        IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"e\","
                        + " \"op\": \"exp\", \"atol\": 0, \"rtol\": 0, \"inputs\": {\"x\": {\"shape\": [2]}}}")));
        assertTrue(missing.getMessage().startsWith("my.json: case 4 (e): field 'inputs.x.data': missing"),
                missing.getMessage());
        IllegalArgumentException count = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> OpCases.check(parse("{\"kind\": \"op\", \"name\": \"c\","
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
