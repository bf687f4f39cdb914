package dev.tiller.cli.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StudyTest {
    private record Result(int status, String out, String err) {}

    private static Result study(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Study.main(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badArgumentsAreNamed() {
        Result a = study();
        assertEquals(2, a.status());
        assertTrue(a.err().contains("the study is 'regimes'"), a.err());
        Result b = study("regimes", "--workloads", "imagenet");
        assertEquals(2, b.status());
        assertTrue(b.err().contains("no workload 'imagenet'; workloads are gpt, convnet, gcn"), b.err());
        Result c = study("regimes", "--contenders", "sgd");
        assertTrue(c.err().contains("no contender 'sgd'; contenders are static, oracle, adaptive"), c.err());
        Result d = study("regimes", "--seeds", "one");
        assertTrue(d.err().contains("--seeds needs integers"), d.err());
        Result e = study("regimes", "--colour");
        assertTrue(e.err().contains("unknown option '--colour'"), e.err());
    }

    /** The quick GCN study trains the grid, the oracle, two contenders and their arms once, then only reads them. */
    @Test
    void quickStudyRunsEveryPlannedRunOnceAndResumes(@TempDir Path dir) throws IOException {
        String[] args = {"regimes", "--quick", "--workloads", "gcn", "--contenders", "static,oracle,adaptive",
            "--out", dir.toString(), "--threads", "1", "--in-process"};
        Result first = study(args);
        assertEquals(0, first.status(), first.out() + first.err());
        // 2 base runs + 4 grid points + (2 lr arms + 3 fault arms) x 2 contenders; the oracle reuses a grid run
        assertEquals(16, done(dir), first.out());
        assertEquals(16, first.out().split("training \\.\\.\\.", -1).length - 1, first.out());
        Result again = study(args);
        assertEquals(0, again.status(), again.out() + again.err());
        assertFalse(again.out().contains("training ..."), again.out());
        assertEquals(16, again.out().split("done before, kept", -1).length - 1, again.out());
        Result report = study("regimes", "--quick", "--workloads", "gcn", "--contenders",
                "static,oracle,adaptive,plateau", "--out", dir.toString(), "--report", "--in-process");
        assertEquals(0, report.status(), report.out() + report.err());
        assertFalse(report.out().contains("training ..."), report.out());
        assertTrue(report.out().contains("1 not trained yet"), report.out());
        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| adaptive |") && md.contains("## Goals"), md);
        assertTrue(Files.exists(dir.resolve("runs.json")) && Files.exists(dir.resolve("plots/curves-gcn.svg"))
                && Files.exists(dir.resolve("plots/knobs-gcn.svg")), "runs.json and the plots are written");
    }

    private static long done(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().equals(Study.DONE)).count();
        }
    }

    @Test
    void theOracleFactorIsTheGridsBestFiniteRunAndNeedsTheWholeGrid() {
        List<RunResult> grid = List.of(run("static", 1.0, 0.50, false), run("grid", 0.25, 0.70, false),
                run("grid", 0.5, 0.55, false), run("grid", 2.0, 0.45, false));
        assertEquals(Optional.empty(), Study.bestFactor(grid, "w", 0));
        List<RunResult> all = Stream.concat(grid.stream(), Stream.of(run("grid", 4.0, Double.NaN, true))).toList();
        assertEquals(Optional.of(2.0), Study.bestFactor(all, "w", 0));
        assertEquals(Optional.empty(), Study.bestFactor(all, "w", 1));
    }

    private static RunResult run(String contender, double factor, double metric, boolean diverged) {
        return new RunResult("w", contender, Study.BASE, factor, 0, List.of(), List.of(), 10, 10, 1, metric,
                diverged, 0, 0, null, null, null, List.of(), List.of());
    }
}
