package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A library user who starts java without {@code --add-modules jdk.incubator.vector} gets one error naming the
 * flag at the engine's entry, not a bare NoClassDefFoundError from inside a kernel. Each case runs a small matmul
 * through the public API in a child JVM on this test's own class path.
 */
class VectorModuleTest {
    /** The child: one matmul through the public API, its sum on stdout. */
    public static final class Child {
        public static void main(String[] args) {
            try (Tensor x = Tensor.ones(64, 64); Tensor y = Linalg.matmul(x, x)) {
                float sum = 0;
                for (float v : y.toFloatArray()) {
                    sum += v;
                }
                System.out.println("sum " + sum);
            }
        }
    }

    private record Run(int exit, String out) {}

    @Test
    void withTheFlagTheMatmulRuns() throws Exception {
        Run run = child(List.of("--add-modules", "jdk.incubator.vector"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("sum 262144.0"), run.out());   // 64 x 64 entries of 64
    }

    @Test
    void withoutTheFlagTheErrorNamesIt() throws Exception {
        assertNamesTheFlag(child(List.of()));
    }

    @Test
    void withoutTheFlagTheTwinsNameItToo() throws Exception {
        assertNamesTheFlag(child(List.of("-Dtiller.simd=false")));
    }

    private static void assertNamesTheFlag(Run run) {
        assertEquals(1, run.exit(), run.out());
        assertFalse(run.out().contains("sum "), run.out());
        assertTrue(run.out().contains("java.lang.LinkageError: Tiller needs the incubating Vector API"), run.out());
        assertTrue(run.out().contains("start java with --add-modules jdk.incubator.vector"), run.out());
        assertFalse(run.out().contains("NoClassDefFoundError"), run.out());
    }

    private static Run child(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Child.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        return new Run(p.exitValue(), out);
    }
}
