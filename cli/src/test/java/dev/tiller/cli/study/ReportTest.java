package dev.tiller.cli.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.tiller.cli.study.Runs.base;
import static dev.tiller.cli.study.Runs.curve;
import static dev.tiller.cli.study.Runs.fin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static final Report.Header HEADER = new Report.Header("2026-01-01 00:00 UTC", 2, "Test CPU", "25",
            null, "./tiller study regimes", List.of("plots/gpt.svg"));

    @Test
    void reportShowsTablesGoalsAndTheEnergyLine() {
        List<RunResult> runs = new ArrayList<>();
        runs.add(base("gpt", "oracle", 0, curve(100, 0.5, 3, 2, 1.5)));            // target 1.5 at step 300, 150 s
        runs.add(base("gpt", "static", 0, curve(100, 0.5, 3, 2.2, 1.8)));          // not reached
        runs.add(base("gpt", "adaptive", 0, curve(100, 0.5, 3, 1.4, 1.3)));        // reached at step 200, 100 s
        runs.add(fin("gpt", "adaptive", "lr-x10", 10, 0, Double.NaN));
        String md = Report.markdown(Analysis.of(runs), HEADER);
        assertTrue(md.contains("- machine: 2 cores, Test CPU"), md);
        assertTrue(md.contains("- energy: RAPL counters not readable on this machine"), md);
        assertTrue(md.contains("- runs: 4, total training CPU-seconds 451.0"), md);   // 150 + 150 + 150 + 1
        assertTrue(md.contains("| static | 1 | 1.8000 [1.8000, 1.8000] | not reached | not reached | 2400 | 150.0"
                + " | 0/1 | 0 | 0 |"), md);
        assertTrue(md.contains("| adaptive | 1 | 1.3000 [1.3000, 1.3000] | 200 | 100.0 |"), md);
        assertTrue(md.contains("| gpt | adaptive | lr-x10 | 1 | diverged | 1.5000 | diverged | no |"), md);
        assertTrue(md.contains("- **NOT MET**: adaptive never diverges (every arm). 1 of 2 adaptive runs diverged"),
                md);
        assertTrue(md.contains("- **MET**: adaptive at least as good"), md);
        assertTrue(md.contains("- **NO DATA**: adaptive detects the shift"), md);
        assertTrue(md.contains("![plots/gpt.svg](plots/gpt.svg)"), md);
        String withEnergy = Report.markdown(Analysis.of(runs), new Report.Header("d", 2, "c", "25", 1234.4, "",
                List.of()));
        assertTrue(withEnergy.contains("- energy: 1234 J (RAPL counters)"), withEnergy);
        List<String> lines = Report.goalLines(Analysis.of(runs));
        assertEquals(9, lines.size());
        assertTrue(lines.get(4).startsWith("NOT MET: adaptive never diverges (every arm). 1 of 2"), lines.get(4));
    }

    @Test
    void anEmptyStudyStillRenders() {
        String md = Report.markdown(Analysis.of(List.of()), HEADER);
        assertTrue(md.contains("No workload has a target"), md);
        assertEquals(9, md.lines().filter(l -> l.startsWith("- **NO DATA**")).count());
    }

    @Test
    void cpuModelIsReadFromCpuinfo(@TempDir Path dir) throws Exception {
        Path info = dir.resolve("cpuinfo");
        Files.writeString(info, "processor\t: 0\nvendor_id\t: Acme\nmodel name\t: Acme Turbo 9000 @ 3.0GHz\n");
        assertEquals("Acme Turbo 9000 @ 3.0GHz", Report.cpuModel(info));
        assertEquals("unknown", Report.cpuModel(dir.resolve("absent")));
    }
}
