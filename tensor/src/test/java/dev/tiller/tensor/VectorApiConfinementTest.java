package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** STYLE.md P1/P3: only tensor's kernel package (not its ref twins) may import the incubating Vector API. */
class VectorApiConfinementTest {
    @Test
    void onlyKernelsImportTheVectorApi() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();   // the repository, seen from the tensor module
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .toList();
        }
        assertTrue(sources.size() > 10, "found only " + sources.size() + " sources under " + root);
        for (Path file : sources) {
            String s = file.toString().replace('\\', '/');
            boolean kernel = s.contains("/tensor/src/main/java/dev/tiller/tensor/kernel/") && !s.contains("/kernel/ref/");
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("import jdk.incubator.vector") && !kernel) {
                    fail(file + " uses the Vector API outside tensor's kernel package: " + line);
                }
            }
        }
    }
}
