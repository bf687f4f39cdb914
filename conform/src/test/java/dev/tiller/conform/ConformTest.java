package dev.tiller.conform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConformTest {
    @TempDir
    Path dir;

    private String run(Conform c, int expectStatus, String... files) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status = c.run(List.of(files), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectStatus, status, out);
        return out;
    }

    private String write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }

    @Test
    void passFailSkipAreCountedAndTheLastLineIsExact() throws IOException {
        String f = write("g.json", """
                {"format": "golden-v1", "cases": [
                  {"kind": "square", "name": "ok", "x": 3, "want": 9},
                  {"kind": "square", "name": "off", "x": 3, "want": 10},
                  {"kind": "later", "name": "s"}]}""");
        Conform c = new Conform();
        c.register("square", g -> g.number("x") * g.number("x") == g.number("want")
                ? CaseResult.pass("") : CaseResult.fail("x^2 != want"));
        c.register("later", g -> CaseResult.skip("not yet"));
        String out = run(c, 1, f);
        String[] lines = out.strip().split("\n");
        assertEquals("PASS square/ok", lines[0]);
        assertEquals("FAIL square/off  x^2 != want", lines[1]);
        assertEquals("SKIP later/s  not yet", lines[2]);
        assertEquals("1 passed, 1 failed, 1 skipped", lines[3]);
    }

    @Test
    void allPassingExitsZeroWithoutSkippedSuffix() throws IOException {
        String f = write("g.json", "{\"format\": \"golden-v1\", \"cases\": [{\"kind\": \"k\", \"name\": \"a\"}]}");
        Conform c = new Conform();
        c.register("k", g -> CaseResult.pass(""));
        assertEquals("PASS k/a\n1 passed, 0 failed", run(c, 0, f).strip());
    }

    @Test
    void malformedInputNamesFileCaseAndField() throws IOException {
        String f = write("bad.json", """
                {"format": "golden-v1", "cases": [{"kind": "k", "name": "n1", "x": "three"}, {"kind": "zzz"}]}""");
        Conform c = new Conform();
        c.register("k", g -> CaseResult.pass(String.valueOf(g.number("x"))));
        String out = run(c, 1, f, write("syntax.json", "{\"format\": [1,,]}"), dir.resolve("missing.json").toString());
        assertTrue(out.contains("bad.json: case 0 (n1): field 'x': expected a number, got the string \"three\""), out);
        assertTrue(out.contains("case 1 (#1): field 'kind': unknown kind 'zzz'"), out);
        assertTrue(out.contains("syntax.json:1:15: malformed JSON"), out);
        assertTrue(out.contains("missing.json: no such file"), out);
        assertTrue(out.strip().endsWith("0 passed, 4 failed"), out);
    }

    @Test
    void everySharedGoldenCasePasses() {
        Path golden = Path.of("../../shared/golden").toAbsolutePath().normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(golden),
                "shared/golden is not beside this checkout: " + golden);
        String out = run(Conform.standard(), 0, golden.resolve("ops.json").toString(),
                golden.resolve("optimizers.json").toString(), golden.resolve("schedules.json").toString(),
                golden.resolve("clipping.json").toString());
        assertTrue(out.strip().endsWith("\n107 passed, 0 failed"), out);
    }
}
