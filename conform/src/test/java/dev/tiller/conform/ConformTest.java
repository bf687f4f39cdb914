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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void aFileWithNoCasesOrNestedTooDeepFailsAndTheRestStillRun() throws IOException {
        String empty = write("empty.json", "{\"format\": \"golden-v1\", \"cases\": []}");
        String deep = write("deep.json", "[".repeat(100_000) + "]".repeat(100_000));
        String ok = write("ok.json", "{\"format\": \"golden-v1\", \"cases\": [{\"kind\": \"k\", \"name\": \"a\"}]}");
        Conform c = new Conform();
        c.register("k", g -> CaseResult.pass(""));
        String out = run(c, 1, empty, deep, ok);
        assertTrue(out.contains("FAIL file/" + empty + "  no cases in the file"), out);
        assertTrue(out.contains("deep.json:1:") && out.contains("levels deep"), out);
        assertTrue(out.contains("PASS k/a"), out);
        assertTrue(out.strip().endsWith("1 passed, 2 failed"), out);
    }

    @Test
    void withoutFilesEveryShippedCaseRunsAndPasses() {
        String out = run(Conform.standard(), 0);
        List<String> lines = out.strip().lines().toList();
        assertEquals("107 passed, 0 failed", lines.getLast(), out);
        assertEquals(107, lines.stream().filter(l -> l.startsWith("PASS ")).count(), out);
        assertEquals(108, lines.size(), out);
    }

    @Test
    void theShippedListNamesEveryReferenceFileInTheModule() throws IOException {
        // the module's source folder, as the build packages it (the test runs in the module's directory)
        Path golden = Path.of("src/main/resources/dev/tiller/conform/golden");
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(golden)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(new TreeSet<>(GoldenFile.SHIPPED), onDisk);
        for (String name : GoldenFile.SHIPPED) {
            assertFalse(GoldenFile.shipped(name).isEmpty(), name);
        }
        assertThrows(IllegalArgumentException.class, () -> GoldenFile.shipped("nope.json"));
    }
}
