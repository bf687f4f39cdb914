package dev.tiller.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ./tiller train's flags for the shifting datasets. A full run loads Fashion-MNIST or java.util and evaluates 10,000
 * images (seconds), so the end-to-end check lives in policy's ShiftingStreamTaskTest on small procedural data.
 */
class ShiftingStreamCommandTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Train.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertFails(String expected, String... args) {
        Result r = run(args);
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

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
}
