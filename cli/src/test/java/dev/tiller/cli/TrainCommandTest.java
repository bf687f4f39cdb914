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
