package dev.tiller.conform.optim;

import dev.tiller.conform.CaseResult;
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

/** Every case of shared/golden/clipping.json (PyTorch 2.11 / Optax 0.2.8) passes with the file's tolerances. */
class ClipGoldenTest {
    @Test
    void everyClippingCasePasses() throws IOException {
        Path file = Path.of("../../shared/golden/clipping.json").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(file), "shared/golden is not beside this checkout: " + file);
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(file), file.toString());
        List<?> cases = (List<?>) root.get("cases");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            @SuppressWarnings("unchecked")
            GoldenCase c = new GoldenCase(file.toString(), i, (Map<String, Object>) cases.get(i));
            try {
                CaseResult r = ClipCases.check(c);
                if (r.status() != CaseResult.Status.PASS) {
                    failures.add(c.name() + ": " + r.detail());
                }
            } catch (RuntimeException e) {
                failures.add(c.name() + ": " + e);
            }
        }
        assertEquals(7, cases.size());
        assertTrue(failures.isEmpty(), failures.size() + " failing: " + String.join("\n", failures));
    }
}
