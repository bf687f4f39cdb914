package dev.tiller.cli.study;

import dev.tiller.cli.study.Analysis.FaultRecovery;
import dev.tiller.cli.study.Analysis.Goal;
import dev.tiller.cli.study.Analysis.Profile;
import dev.tiller.cli.study.Analysis.Robustness;
import dev.tiller.cli.study.Analysis.Row;
import dev.tiller.cli.study.Analysis.ShiftResult;
import dev.tiller.cli.study.Analysis.WorkloadResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.tiller.cli.study.Analysis.num;
import static dev.tiller.cli.study.Analysis.pct;
import static dev.tiller.cli.study.Analysis.signedPct;

/** The study's Markdown report (results.md) from an {@link Analysis}: tables, profile scores and the goals. */
public final class Report {
    private Report() {}

    /**
     * What the report says about where and how it ran.
     *
     * @param date         when the report was made (UTC)
     * @param cores        processors the JVM sees
     * @param cpuModel     the CPU's model name, "unknown" when /proc/cpuinfo is not readable
     * @param javaVersion  the JVM's version
     * @param joules       energy of all runs from RAPL counters, null when they are not readable
     * @param command      the command that reproduces the study
     * @param plots        plot files relative to the report, shown as images
     */
    public record Header(String date, int cores, String cpuModel, String javaVersion, Double joules, String command,
                         List<String> plots) {
        public Header {
            plots = List.copyOf(plots);
        }

        /** This machine's facts, the time now, and what the caller measured. */
        public static Header detect(String command, Double joules, List<String> plots) {
            return new Header(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
                    "yyyy-MM-dd HH:mm 'UTC'")), Runtime.getRuntime().availableProcessors(),
                    Report.cpuModel(Path.of("/proc/cpuinfo")), Runtime.version().toString(), joules, command, plots);
        }
    }

    /** The "model name" line of a cpuinfo file, "unknown" when it cannot be read or has none. */
    public static String cpuModel(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    return colon < 0 ? "unknown" : line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }

    /** The report's Markdown text. */
    public static String markdown(Analysis a, Header h) {
        StringBuilder b = new StringBuilder();
        b.append("# Regime study\n\n");
        b.append("- date: ").append(h.date()).append('\n');
        b.append("- machine: ").append(h.cores()).append(" cores, ").append(h.cpuModel()).append('\n');
        b.append("- java: ").append(h.javaVersion()).append('\n');
        if (h.command() != null && !h.command().isEmpty()) {
            b.append("- command: `").append(h.command()).append("`\n");
        }
        b.append("- runs: ").append(a.runCount()).append(", total training CPU-seconds ")
                .append(String.format(Locale.ROOT, "%.1f", a.totalCpuSeconds()))
                .append(" (evaluation excluded)\n");
        b.append("- energy: ").append(h.joules() == null ? "RAPL counters not readable on this machine"
                : String.format(Locale.ROOT, "%.0f J (RAPL counters)", h.joules())).append("\n\n");
        targets(b, a);
        perWorkload(b, a);
        profiles(b, a);
        robustness(b, a);
        faults(b, a);
        shifts(b, a);
        goals(b, a);
        if (!h.plots().isEmpty()) {
            b.append("## Plots\n\n");
            for (String p : h.plots()) {
                b.append("![").append(p).append("](").append(p).append(")\n\n");
            }
        }
        return b.toString();
    }

    private static void targets(StringBuilder b, Analysis a) {
        b.append("## Targets\n\n");
        b.append("The oracle is the best point of a 5-point learning-rate grid (factors 1/4 to 4 of the default) on"
                + " the grid seed; the target is the median over seeds of the oracle's final validation metric.\n\n");
        b.append("| workload | grid (factor: final metric) | grid seed | oracle factor | oracle seeds | target |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (WorkloadResult w : a.workloads()) {
            List<String> grid = new ArrayList<>();
            for (Map.Entry<Double, Double> e : w.grid().entrySet()) {
                grid.add(factor(e.getKey()) + ": " + num(e.getValue()));
            }
            int oracleSeeds = w.runs().getOrDefault(Analysis.ORACLE, List.of()).size();
            b.append("| ").append(w.workload()).append(" | ").append(grid.isEmpty() ? "none" : String.join(", ", grid))
                    .append(" | ").append(grid.isEmpty() ? "-" : w.gridSeed()).append(" | ")
                    .append(Double.isNaN(w.oracleFactor()) ? "-" : factor(w.oracleFactor())).append(" | ")
                    .append(oracleSeeds).append(" | ").append(w.hasTarget() ? num(w.target()) : "no target")
                    .append(" |\n");
        }
        b.append('\n');
    }

    private static void perWorkload(StringBuilder b, Analysis a) {
        b.append("## Results per workload\n\n");
        b.append("Arm base, medians over seeds; a run that misses the target counts as infinitely slow, so a median"
                + " can be \"not reached\". Steps, samples and CPU-seconds to target are at the first evaluation at or"
                + " below the target; CPU-seconds exclude evaluation. Divergences count seeds; rollbacks and skipped"
                + " steps are summed over seeds.\n\n");
        for (WorkloadResult w : a.workloads()) {
            b.append("### ").append(w.workload()).append(" (target ")
                    .append(w.hasTarget() ? num(w.target()) : "none").append(")\n\n");
            b.append("| contender | seeds | final val median [min, max] | steps to target | CPU-s to target"
                    + " | samples | CPU-s | divergences | rollbacks | skipped |\n");
            b.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : w.rows()) {
                b.append("| ").append(r.contender()).append(" | ").append(r.seeds()).append(" | ")
                        .append(num(r.finalMedian())).append(" [").append(num(r.finalMin())).append(", ")
                        .append(num(r.finalMax())).append("] | ").append(count(r.stepsToTarget())).append(" | ")
                        .append(seconds(r.cpuToTarget())).append(" | ").append(count(r.samples())).append(" | ")
                        .append(seconds(r.cpuSeconds())).append(" | ").append(r.divergences()).append('/')
                        .append(r.seeds()).append(" | ").append(r.rollbacks()).append(" | ").append(r.skipped())
                        .append(" |\n");
            }
            b.append('\n');
        }
    }

    private static void profiles(StringBuilder b, Analysis a) {
        b.append("## Performance profiles\n\n");
        Profile cpu = a.cpuProfile();
        Profile steps = a.stepProfile();
        if (cpu.workloads().isEmpty()) {
            b.append("No workload has a target, so there is no profile.\n\n");
            return;
        }
        b.append("AlgoPerf's score: r = time to target / the fastest contender's on that workload (a miss or a missing"
                + " run: infinity), rho(tau) = fraction of the ").append(cpu.workloads().size())
                .append(" workload(s) with r <= tau, score = (1/(r_max-1)) * integral from 1 to r_max of rho,")
                .append(" r_max = ").append(factor(Analysis.R_MAX)).append(". Ratios below are on CPU-seconds.\n\n");
        b.append("| contender | score (CPU-s) | score (steps) |");
        for (String w : cpu.workloads()) {
            b.append(" r ").append(w).append(" |");
        }
        b.append("\n|---|---|---|").append("---|".repeat(cpu.workloads().size())).append('\n');
        for (String c : cpu.contenders()) {
            b.append("| ").append(c).append(" | ").append(String.format(Locale.ROOT, "%.3f", cpu.score(c)))
                    .append(" | ").append(String.format(Locale.ROOT, "%.3f", steps.score(c))).append(" |");
            for (String w : cpu.workloads()) {
                double r = cpu.ratios().get(c).getOrDefault(w, Double.POSITIVE_INFINITY);
                b.append(' ').append(Double.isFinite(r) ? String.format(Locale.ROOT, "%.2f", r) : "-").append(" |");
            }
            b.append('\n');
        }
        b.append('\n');
    }

    private static void robustness(StringBuilder b, Analysis a) {
        b.append("## Robustness: started at 10x and 1/10 the default learning rate\n\n");
        if (a.robustness().isEmpty()) {
            b.append("No runs.\n\n");
            return;
        }
        b.append("| workload | contender | arm | seeds | final val median | oracle | gap | within ")
                .append(pct(Analysis.LR_ARM_GAP)).append(" |\n|---|---|---|---|---|---|---|---|\n");
        for (Robustness r : a.robustness()) {
            b.append("| ").append(r.workload()).append(" | ").append(r.contender()).append(" | ").append(r.arm())
                    .append(" | ").append(r.seeds()).append(" | ").append(num(r.finalMedian())).append(" | ")
                    .append(num(r.oracle())).append(" | ").append(signedPct(r.gap())).append(" | ")
                    .append(Double.isNaN(r.gap()) ? "no oracle" : r.within() ? "yes" : "no").append(" |\n");
        }
        b.append('\n');
    }

    private static void faults(StringBuilder b, Analysis a) {
        b.append("## Faults\n\n");
        if (a.faults().isEmpty()) {
            b.append("No runs.\n\n");
            return;
        }
        b.append("Recovery: steps after the fault from which the smoothed training loss stays within ")
                .append(pct(Analysis.FAULT_GAP)).append(" of the same seed's fault-free run to the end.\n\n");
        b.append("| workload | contender | arm | seed | fault at | back after | within ").append(Analysis.FAULT_STEPS)
                .append(" steps |\n|---|---|---|---|---|---|---|\n");
        for (FaultRecovery f : a.faults()) {
            b.append("| ").append(f.workload()).append(" | ").append(f.contender()).append(" | ").append(f.arm())
                    .append(" | ").append(f.seed()).append(" | ").append(f.faultAt()).append(" | ")
                    .append(f.recoverySteps() == null ? f.note() : f.recoverySteps() + " steps").append(" | ")
                    .append(f.recovered() ? "yes" : "no").append(" |\n");
        }
        b.append('\n');
    }

    private static void shifts(StringBuilder b, Analysis a) {
        b.append("## Shift\n\n");
        if (a.shifts().isEmpty()) {
            b.append("No runs.\n\n");
            return;
        }
        b.append("Delay = detection step - shift step. Forgetting: L = the larger of static's and adaptive's final"
                + " new-domain validation losses on the seed; each run's old-domain loss is read where its new-domain"
                + " loss first reaches L after the shift, interpolated linearly between the two evaluations around"
                + " that point (taken as is at the first evaluation after the shift).\n\n");
        b.append("| workload | contender | seed | shift at | detected at | delay | L | old-domain loss at L | at step"
                + " |\n|---|---|---|---|---|---|---|---|---|\n");
        for (ShiftResult s : a.shifts()) {
            b.append("| ").append(s.workload()).append(" | ").append(s.contender()).append(" | ").append(s.seed())
                    .append(" | ").append(s.shiftAt()).append(" | ")
                    .append(s.detectedAt() == null ? "never" : s.detectedAt()).append(" | ")
                    .append(s.delay() == null ? "-" : s.delay()).append(" | ").append(num(s.level())).append(" | ")
                    .append(num(s.oldAtLevel())).append(" | ")
                    .append(Double.isNaN(s.stepAtLevel()) ? "-" : String.format(Locale.ROOT, "%.0f", s.stepAtLevel()))
                    .append(" |\n");
        }
        b.append('\n');
    }

    private static void goals(StringBuilder b, Analysis a) {
        b.append("## Goals\n\n");
        for (Goal g : a.goals()) {
            b.append("- **").append(g.status().label()).append("**: ").append(g.name()).append(". ")
                    .append(g.detail()).append('\n');
        }
        b.append('\n');
    }

    /** The goals as plain lines ("MET: name. detail"), for a terminal. */
    public static List<String> goalLines(Analysis a) {
        return a.goals().stream().map(g -> g.status().label() + ": " + g.name() + ". " + g.detail()).toList();
    }

    private static String factor(double f) {
        return f == Math.rint(f) ? String.valueOf((long) f) : String.valueOf(f);
    }

    private static String count(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return Double.isInfinite(v) ? "not reached" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String seconds(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return Double.isInfinite(v) ? "not reached" : String.format(Locale.ROOT, "%.1f", v);
    }
}
