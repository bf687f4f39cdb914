package dev.tiller.cli.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.tiller.cli.study.Runs.curve;
import static dev.tiller.cli.study.Runs.fin;
import static dev.tiller.cli.study.Runs.pt;
import static dev.tiller.cli.study.Runs.withShift;
import static dev.tiller.cli.study.Runs.withTrain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunsJsonTest {
    @Test
    void roundTripKeepsEveryFieldIncludingNaNAndNulls(@TempDir Path dir) throws Exception {
        RunResult diverged = new RunResult("gpt", "static", "lr-x10", 10, 2,
                List.of(pt(100, 1.25, 3.5), pt(200, 2.5, Double.NaN)), List.of(pt(10, 0.1, 4.0)), 200, 1600, 2.5,
                Double.NaN, true, 3, 7, null, null, null, List.of(), List.of());
        RunResult faulted = withTrain(fin("gpt", "adaptive", "fault-nan", 1, 0, 1.75), 700L,
                List.of(pt(690, 6.9, 2.0), pt(710, 7.1, 2.1)));
        RunResult shifted = withShift(fin("jdk-shift", "adaptive", "base", 0.25, 1, 1.5), 200, 230L,
                curve(100, 0.5, 1, 1.1), curve(100, 0.5, 5, 2.25));
        Path file = dir.resolve("study/runs.json");
        RunsJson.write(file, List.of(shifted, diverged, faulted));
        List<RunResult> back = RunsJson.read(file);
        // sorted by workload, contender, arm, factor, seed; records compare doubles as Double.compare does, NaN too
        assertEquals(List.of(faulted, diverged, shifted), back);
        assertTrue(Double.isNaN(back.get(1).finalMetric()));
        assertTrue(Double.isNaN(back.get(1).curve().get(1).value()));
        assertEquals(null, back.get(1).faultAt());
        assertEquals(230L, back.get(2).detectedAt());
        // the text is stable: writing what was read gives the same bytes
        assertEquals(Files.readString(file), RunsJson.text(back));
        assertTrue(Files.readString(file).contains("\"final_metric\":null"));
    }

    @Test
    void aLaterRunWithTheSameKeyReplacesTheEarlierOne() {
        RunResult first = fin("gcn", "static", "base", 1, 0, 2.0);
        RunResult rerun = fin("gcn", "static", "base", 1, 0, 1.5);
        RunResult seed10 = fin("gcn", "static", "base", 1, 10, 1.0);
        RunResult seed2 = fin("gcn", "static", "base", 1, 2, 1.0);
        List<RunResult> back = RunsJson.parse(RunsJson.text(List.of(first, seed10, rerun, seed2)), "t");
        assertEquals(List.of(rerun, seed2, seed10), back);              // seeds compared as numbers
    }

    @Test
    void absentFileIsNoRunsAndAnotherVersionIsRefused(@TempDir Path dir) {
        assertEquals(List.of(), RunsJson.read(dir.resolve("none.json")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunsJson.parse("{\"version\":2,\"runs\":[]}", "old.json"));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> RunsJson.parse("{\"version\":1,\"runs\":[{\"workload\":\"w\"}]}", "bad.json"));
        assertTrue(f.getMessage().contains("runs[0]") && f.getMessage().contains("'contender' is missing"),
                f.getMessage());
    }
}
