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

/** examples/TrainMlp.java compiles against the public API and trains an MLP well above chance. */
class ExampleTest {
    @Test
    void theMlpExampleCompilesAndLearns(@TempDir Path out) throws Exception {
        Path src = Path.of("../examples/TrainMlp.java").toAbsolutePath().normalize();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                "--add-modules", "jdk.incubator.vector", src.toString());
        assertEquals(0, rc, diag.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream old = System.out;
        try (URLClassLoader cl = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            cl.loadClass("TrainMlp").getMethod("main", String[].class).invoke(null, (Object) new String[] {"150"});
        } finally {
            System.setOut(old);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        String last = text.strip().substring(text.strip().lastIndexOf('\n') + 1);
        assertTrue(last.startsWith("test accuracy "), text);
        double acc = Double.parseDouble(last.substring("test accuracy ".length()));
        assertTrue(acc > 0.6, "four classes (chance 0.25); got " + acc + "\n" + text);
    }
}
