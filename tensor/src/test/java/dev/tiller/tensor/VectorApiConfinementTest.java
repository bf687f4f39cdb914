package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Only tensor's kernel package (not its ref twins) may import the incubating Vector API. */
class VectorApiConfinementTest {
    @Test
    void onlyKernelsImportTheVectorApi() throws IOException {
        for (Path file : mainSources()) {
            String s = file.toString().replace('\\', '/');
            boolean kernel = s.contains("/tensor/src/main/java/dev/tiller/tensor/kernel/")
                    && !s.contains("/kernel/ref/");
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("import jdk.incubator.vector") && !kernel) {
                    fail(file + " uses the Vector API outside tensor's kernel package: " + line);
                }
            }
        }
    }

    /**
     * One float vector class per run: a second float species (half-width loads, 8-lane tails on a 16-lane
     * machine) sends a second vector class through the Vector API's shared FloatVector methods, whose type
     * profiles C2 then speculates on. In about 1 convnet bench run in 3, C2 compiled the GEMM microkernel with a
     * store it could not intrinsify and boxed its vectors: steps 10x slower, 12 GB of garbage each. Narrower
     * pieces go through masks on SPECIES_PREFERRED instead.
     */
    @Test
    void theKernelsUseOneFloatSpecies() throws IOException {
        Pattern other = Pattern.compile("FloatVector\\.SPECIES_(?!PREFERRED)|VectorSpecies\\.of\\(float\\.class"
                + "|VectorSpecies<Float>\\s+\\w+\\s*=\\s*+(?!FloatVector\\.SPECIES_PREFERRED;)");
        for (Path file : mainSources()) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (other.matcher(lines.get(i)).find()) {
                    fail(file + ":" + (i + 1) + " declares a float species other than SPECIES_PREFERRED: "
                            + lines.get(i).strip());
                }
            }
        }
    }

    private static List<Path> mainSources() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();   // the repository, seen from the tensor module
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .toList();
        }
        assertTrue(sources.size() > 10, "found only " + sources.size() + " sources under " + root);
        return sources;
    }
}
