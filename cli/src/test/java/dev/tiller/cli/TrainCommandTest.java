package dev.tiller.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Train.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badFlagsAreNamedNotStackTraces() {
        Result r = run("--model", "transformer");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--model must be gpt, mlp, convnet, resnet or gcn, got 'transformer'"), r.err());
        Result s = run("--steps", "many");
        assertTrue(s.err().contains("--steps needs an integer, got 'many'"), s.err());
        Result u = run("--colour", "red");
        assertTrue(u.err().contains("unknown option '--colour'"), u.err());
        Result v = run("--lr");
        assertTrue(v.err().contains("option --lr needs a value"), v.err());
        Result d = run("--model", "mlp", "--data", "/no/such/folder");
        assertEquals(2, d.status());
        assertTrue(d.err().contains("/no/such/folder"), d.err());
    }

    private static void assertFails(String expected, String... args) {
        Result r = run(args);
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    /**
     * The flags for the shifting datasets. A full run loads Fashion-MNIST or java.util and evaluates 10,000 images
     * (seconds), so the end-to-end check lives in policy's ShiftingStreamTaskTest on small procedural data.
     */
    @Test
    void badShiftFlagsAreNamed() {
        assertFails("--shift-at needs a shifting dataset (--data fashion-mnist-shift or jdk-shift), got --data"
                + " (default)", "--shift-at", "5");
        assertFails("--data jdk-shift is text; use it with --model gpt", "--model", "mlp", "--data", "jdk-shift");
        assertFails("--data fashion-mnist-shift is images", "--data", "fashion-mnist-shift");
        assertFails("--shift-at must be >= 0, got -1", "--data", "jdk-shift", "--shift-at", "-1");
        assertFails("--shift-at 10 is not below --steps 10: the data would never shift", "--data", "jdk-shift",
                "--steps", "10", "--shift-at", "10");
        assertTrue(Train.USAGE.contains("--shift-at N") && Train.USAGE.contains("fashion-mnist-shift"));
    }

    @Test
    void aShortGcnRunWritesItsRunFolder(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        Result r = run("--model", "gcn", "--steps", "5", "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("run folder: " + out.toAbsolutePath()), r.out());
        assertEquals(5, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"optimizer\":\"AdamW\"") && config.contains("\"seed\":3"), config);
    }
}
