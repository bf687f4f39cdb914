package dev.tiller.cli.study;

import dev.tiller.policy.RunLog;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes the study's analysis into its folder: runs.json (every run), results.md (the tables and goals) and plots/
 * (validation curves per workload, the performance profile, the adaptive run's knob timelines); prints the goals.
 */
final class StudyOutput {
    private StudyOutput() {}

    static void write(Study.Options o, List<RunResult> results, String command, Double joules, PrintStream out) {
        Path dir = o.out();
        try {
            Files.createDirectories(dir.resolve("plots"));
            RunsJson.write(dir.resolve("runs.json"), results);
            Analysis a = Analysis.of(results);
            List<String> plots = new ArrayList<>();
            for (Map.Entry<String, String> e : Svg.curves(a).entrySet()) {
                plots.add(plot(dir, "curves-" + e.getKey() + ".svg", e.getValue()));
            }
            plots.add(plot(dir, "profile-cpu.svg", Svg.profile(a.cpuProfile())));
            for (Workload w : o.workloads()) {
                Path run = adaptiveRun(dir, w.name(), o.seeds().getFirst());
                if (run != null) {
                    plots.add(plot(dir, "knobs-" + w.name() + ".svg", Svg.knobTimeline(w.name() + ", "
                            + run.getParent().getFileName(), run)));
                }
            }
            Report.Header h = Report.Header.detect(command, joules, plots);
            RunLog.writeAtomically(dir.resolve("results.md"), Report.markdown(a, h));
            for (String g : Report.goalLines(a)) {
                out.println(g);
            }
            out.println("study: " + dir.resolve("results.md"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the study's results under " + dir, e);
        }
    }

    private static String plot(Path dir, String name, String svg) throws IOException {
        RunLog.writeAtomically(dir.resolve("plots").resolve(name), svg);
        return "plots/" + name;
    }

    /** The adaptive contender's base run on seed, if it finished. */
    private static Path adaptiveRun(Path dir, String workload, long seed) throws IOException {
        Path folder = dir.resolve("runs").resolve(workload);
        if (!Files.isDirectory(folder)) {
            return null;
        }
        try (var s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().startsWith(Contender.ADAPTIVE + "-" + Study.BASE + "-")
                            && p.getFileName().toString().endsWith("-s" + seed) && Files.exists(p.resolve(Study.DONE)))
                    .sorted(Comparator.naturalOrder()).map(p -> p.resolve("run")).findFirst().orElse(null);
        }
    }
}
