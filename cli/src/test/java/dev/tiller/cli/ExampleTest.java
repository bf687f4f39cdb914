package dev.tiller.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The programs in examples/ compile against the public API: TrainMlp trains an MLP well above chance, TrainAdaptive
 * trains under the adaptive regime and its decisions replay with no mismatch.
 */
class ExampleTest {
    @Test
    void theMlpExampleCompilesAndLearns(@TempDir Path out) throws Exception {
        String text = runExample("TrainMlp", out, "150");
        String last = text.strip().substring(text.strip().lastIndexOf('\n') + 1);
        assertTrue(last.startsWith("test accuracy "), text);
        double acc = Double.parseDouble(last.substring("test accuracy ".length()));
        assertTrue(acc > 0.6, "four classes (chance 0.25); got " + acc + "\n" + text);
    }

    @Test
    void theAdaptiveExampleTrainsAndItsDecisionsReplay(@TempDir Path out) throws Exception {
        String text = runExample("TrainAdaptive", out, out.resolve("run").toString(), "150");
        assertTrue(text.contains("replay: 150 steps checked, 0 mismatches"), text);
        String first = text.lines().filter(l -> l.startsWith("final val_loss")).findFirst().orElseThrow();
        double acc = Double.parseDouble(first.substring(first.lastIndexOf(' ') + 1));
        assertTrue(acc > 0.6, "four classes (chance 0.25); got " + acc + "\n" + text);
    }

    /** Compiles examples/NAME.java into out, runs its main with args, and returns what it printed. */
    private String runExample(String name, Path out, String... args) throws Exception {
        Path src = Path.of("../examples/" + name + ".java").toAbsolutePath().normalize();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                "--add-modules", "jdk.incubator.vector", src.toString());
        assertEquals(0, rc, diag.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream old = System.out;
        try (URLClassLoader cl = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            cl.loadClass(name).getMethod("main", String[].class).invoke(null, (Object) args);
        } finally {
            System.setOut(old);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
