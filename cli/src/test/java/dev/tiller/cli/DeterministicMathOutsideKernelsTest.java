package dev.tiller.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Math.exp, log, pow, tanh, ... may return different last bits in interpreted and JIT-compiled code, which breaks
 * run-to-run reproducibility (schedules, optimizer bias corrections, policies). StrictMath is pinned. This scans the
 * main sources of every module above tensor (tensor's kernels have their own scan).
 */
class DeterministicMathOutsideKernelsTest {
    private static final Pattern BANNED = Pattern.compile(
            "(?<![A-Za-z])Math\\.(exp|log|log10|log1p|expm1|pow|tanh|sinh|cosh|sin|cos|tan|asin|acos|atan|atan2|cbrt"
                    + "|hypot)\\(");

    @Test
    void onlyStrictMathTranscendentalsAboveTheTensorModule() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> bad = new ArrayList<>();
        for (String module : new String[] {"autograd", "optim", "models", "policy", "cli"}) {
            try (Stream<Path> files = Files.walk(root.resolve(module).resolve("src/main"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        if (BANNED.matcher(lines.get(i)).find()) {
                            bad.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        assertTrue(bad.isEmpty(), "use StrictMath (reproducible in every JIT tier) instead of Math here:\n"
                + String.join("\n", bad));
    }
}
