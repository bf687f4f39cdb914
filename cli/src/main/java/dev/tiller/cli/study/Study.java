package dev.tiller.cli.study;

import dev.tiller.cli.Main;
import dev.tiller.optim.StatePrecision;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.recipe.RunConfig;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code ./tiller study regimes}: trains every contender on every workload and seed, the oracle's learning-rate grid,
 * and the robustness and fault arms, then writes the analysis. Each run lives in its own folder under the study's
 * runs/ with a DONE file once it finished, so a rerun skips it and the study can be run in parts.
 */
public final class Study {
    public static final String USAGE = "./tiller study regimes [--quick] [--workloads a,b] [--contenders a,b]"
            + " [--seeds 0,1,2] [--out DIR] [--threads N] [--no-arms] [--report]; --report analyses the finished runs"
            + " and trains nothing; workloads: gpt, convnet, gcn, resnet,"
            + " jdk-shift, fashion-mnist-shift; contenders: static, oracle, adaptive, plateau, hypergradient,"
            + " schedule-free, prodigy";
    static final String BASE = "base";
    static final String DONE = "DONE";

    /** The arms that start static and adaptive away from the default learning rate. */
    static final Map<String, Double> LR_ARMS = Map.of("lr-x10", 10.0, "lr-x0.1", 0.1);
    /** The fault arms: name and the --inject spec at step S. */
    static final Map<String, Function<Long, String>> FAULT_ARMS = Map.of(
            "fault-poison", s -> "poison@" + s,
            "fault-lr-spike", s -> "lr-spike@" + s + "x100",
            "fault-nan", s -> "nan-grad@" + s);

    /** The study's choices, as the command line gives them. */
    public record Options(Path out, boolean quick, List<Workload> workloads, List<Contender> contenders,
                          List<Long> seeds, int threads, boolean arms, boolean reportOnly) {}

    /** One run to make: what the study calls it, and the training run it is. */
    record Planned(RunFolder.Planned id, RunConfig run) {
        String folder() {
            return id.workload() + "/" + id.contender() + "-" + id.arm() + "-lr" + id.lrFactor() + "-s" + id.seed();
        }
    }

    private final Options o;
    private final Executor exec;
    private final PrintStream out;
    private final String command;

    Study(Options o, Executor exec, PrintStream out, String command) {
        this.o = o;
        this.exec = exec;
        this.out = out;
        this.command = command;
    }

    /** The command: args after "study". */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        Options o;
        boolean inProcess;
        try {
            if (args.length == 0 || !args[0].equals("regimes")) {
                throw new IllegalArgumentException("study: the study is 'regimes'; usage: " + USAGE);
            }
            List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
            inProcess = rest.remove("--in-process");
            o = parse(rest);
        } catch (IllegalArgumentException e) {
            err.println("tiller " + e.getMessage());
            return 2;
        }
        // --quick checks the machinery, not the clock: one JVM, so JVM start-up does not dominate its tiny runs
        Executor exec = inProcess || o.quick() ? Executor.inProcess() : Executor.subprocess();
        return new Study(o, exec, out, "./tiller study " + String.join(" ", args)).run();
    }

    static Options parse(List<String> args) {
        Map<String, String> m = new LinkedHashMap<>();
        boolean quick = false;
        boolean arms = true;
        boolean report = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--quick" -> quick = true;
                case "--no-arms" -> arms = false;
                case "--report" -> report = true;
                case "--workloads", "--contenders", "--seeds", "--out", "--threads" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("study: " + a + " needs a value; usage: " + USAGE);
                    }
                    m.put(a, args.get(++i));
                }
                default -> throw new IllegalArgumentException("study: unknown option '" + a + "'; usage: " + USAGE);
            }
        }
        List<Workload> all = quick ? Workload.quick() : Workload.full();
        List<Workload> workloads = all;
        if (m.containsKey("--workloads")) {
            workloads = new ArrayList<>();
            for (String n : m.get("--workloads").split(",")) {
                Optional<Workload> w = all.stream().filter(x -> x.name().equals(n.strip())).findFirst();
                workloads.add(w.orElseThrow(() -> new IllegalArgumentException("study: --workloads: no workload '"
                        + n.strip() + "'; workloads are " + String.join(", ", all.stream().map(Workload::name)
                        .toList()))));
            }
        }
        List<Contender> contenders = Contender.all();
        if (m.containsKey("--contenders")) {
            contenders = new ArrayList<>();
            for (String n : m.get("--contenders").split(",")) {
                contenders.add(Contender.named(n.strip()).orElseThrow(() -> new IllegalArgumentException(
                        "study: --contenders: no contender '" + n.strip() + "'; contenders are " + String.join(", ",
                        Contender.all().stream().map(Contender::name).toList()))));
            }
        }
        List<Long> seeds = quick ? List.of(0L) : List.of(0L, 1L, 2L);
        if (m.containsKey("--seeds")) {
            seeds = new ArrayList<>();
            for (String s : m.get("--seeds").split(",")) {
                try {
                    long v = Long.parseLong(s.strip());
                    if (v < 0) {
                        throw new NumberFormatException();
                    }
                    seeds.add(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("study: --seeds needs integers >= 0 separated by commas, got '"
                            + m.get("--seeds") + "'");
                }
            }
        }
        int threads = Runtime.getRuntime().availableProcessors();
        if (m.containsKey("--threads")) {
            try {
                threads = Integer.parseInt(m.get("--threads"));
            } catch (NumberFormatException e) {
                threads = 0;
            }
            if (threads < 1) {
                throw new IllegalArgumentException("study: --threads needs an integer >= 1, got '"
                        + m.get("--threads") + "'");
            }
        }
        Path out = Path.of(m.getOrDefault("--out", quick ? "studies/regimes-quick" : "studies/regimes"));
        return new Options(out, quick, workloads, contenders, seeds, threads, arms, report);
    }

    /** Runs what is missing, then analyses every finished run the selection covers. */
    int run() {
        long t0 = System.nanoTime();
        Rapl.Reading energy = Rapl.read();
        List<RunResult> results = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<Planned> plan = firstStage();
        execute(plan, results, failed, missing);
        List<Planned> oracle = oracleStage(results);
        execute(oracle, results, failed, missing);
        addSeedZeroOracle(results);
        out.printf(Locale.ROOT, "study: %d runs analysed, %d failed, %d not trained yet, %.1f min%n", results.size(),
                failed.size(), missing.size(), (System.nanoTime() - t0) / 60e9);
        for (String f : failed) {
            out.println("  failed: " + f);
        }
        StudyOutput.write(o, results, command, energy.joulesSince(), out);
        return failed.isEmpty() ? 0 : 1;
    }

    private boolean selected(String contender) {
        return o.contenders().stream().anyMatch(c -> c.name().equals(contender));
    }

    /** Base runs of every contender but the oracle, the oracle's grid on the first seed, and the arms. */
    List<Planned> firstStage() {
        List<Planned> plan = new ArrayList<>();
        long first = o.seeds().getFirst();
        for (long seed : o.seeds()) {
            for (Workload w : o.workloads()) {
                for (Contender c : o.contenders()) {
                    if (c.name().equals(Contender.ORACLE)) {
                        continue;
                    }
                    plan.add(planned(w, c, c.name(), BASE, 1.0, seed, ""));
                }
                if (selected(Contender.ORACLE) && seed == first) {
                    Contender stat = Contender.named(Contender.STATIC).orElseThrow();
                    for (double f : Contender.GRID_FACTORS) {
                        if (f == 1.0) {
                            if (!selected(Contender.STATIC)) {
                                plan.add(planned(w, stat, Contender.STATIC, BASE, 1.0, seed, ""));
                            }
                        } else {
                            plan.add(planned(w, stat, Contender.GRID, BASE, f, seed, ""));
                        }
                    }
                }
                if (!o.arms() || w.shifts()) {
                    continue;
                }
                for (Contender c : o.contenders()) {
                    if (!c.name().equals(Contender.STATIC) && !c.name().equals(Contender.ADAPTIVE)) {
                        continue;
                    }
                    for (var arm : LR_ARMS.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                        plan.add(planned(w, c, c.name(), arm.getKey(), arm.getValue(), seed, ""));
                    }
                    if (seed == first) {
                        for (var arm : FAULT_ARMS.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                            plan.add(planned(w, c, c.name(), arm.getKey(), 1.0, seed,
                                    arm.getValue().apply(w.faultStep())));
                        }
                    }
                }
            }
        }
        return plan;
    }

    /** The oracle's runs on every seed but the first, at the grid's best factor per workload. */
    List<Planned> oracleStage(List<RunResult> results) {
        List<Planned> plan = new ArrayList<>();
        if (!selected(Contender.ORACLE)) {
            return plan;
        }
        Contender oracle = Contender.named(Contender.ORACLE).orElseThrow();
        for (Workload w : o.workloads()) {
            Optional<Double> best = bestFactor(results, w.name(), o.seeds().getFirst());
            if (best.isEmpty()) {
                out.println("study: " + w.name() + ": the oracle's grid is incomplete, so no oracle runs");
                continue;
            }
            for (long seed : o.seeds().subList(1, o.seeds().size())) {
                plan.add(planned(w, oracle, Contender.ORACLE, BASE, best.get(), seed, ""));
            }
        }
        return plan;
    }

    /** The grid factor with the lowest final validation loss on seed (diverged runs never win); empty if missing. */
    static Optional<Double> bestFactor(List<RunResult> results, String workload, long seed) {
        List<RunResult> grid = results.stream().filter(r -> r.workload().equals(workload) && r.seed() == seed
                && r.arm().equals(BASE) && (r.contender().equals(Contender.GRID)
                || (r.contender().equals(Contender.STATIC) && r.lrFactor() == 1.0))).toList();
        if (grid.size() < Contender.GRID_FACTORS.size()) {
            return Optional.empty();
        }
        return grid.stream().filter(r -> !r.diverged())
                .min(Comparator.comparingDouble(RunResult::finalMetric).thenComparingDouble(RunResult::lrFactor))
                .map(RunResult::lrFactor);
    }

    /** The oracle on the first seed is the grid's best run; it is recorded under the oracle's name, not rerun. */
    private void addSeedZeroOracle(List<RunResult> results) {
        if (!selected(Contender.ORACLE)) {
            return;
        }
        long first = o.seeds().getFirst();
        for (Workload w : o.workloads()) {
            Optional<Double> best = bestFactor(results, w.name(), first);
            if (best.isEmpty()) {
                continue;
            }
            Optional<RunResult> bestRun = results.stream().filter(r -> r.workload().equals(w.name())
                    && r.seed() == first && r.arm().equals(BASE) && r.lrFactor() == best.get()
                    && (r.contender().equals(Contender.GRID) || r.contender().equals(Contender.STATIC))).findFirst();
            bestRun.ifPresent(r -> results.add(new RunResult(r.workload(), Contender.ORACLE, BASE, r.lrFactor(),
                    r.seed(), r.curve(), r.trainCurve(), r.steps(), r.samples(), r.cpuSeconds(), r.finalMetric(),
                    r.diverged(), r.rollbacks(), r.skipped(), r.faultAt(), r.shiftAt(), r.detectedAt(),
                    r.oldDomain(), r.newDomain())));
        }
    }

    private Planned planned(Workload w, Contender c, String as, String arm, double factor, long seed, String inject) {
        Recipe recipe = StudyRecipes.of(w.model(), w.steps(), factor, c.optimizer());
        RunConfig run = new RunConfig(w.model(), w.data(), w.steps(), w.batch(), w.width(), w.depth(), seed, 1,
                w.evalEvery(), DType.F32, StatePrecision.F32, w.shiftAt(), o.threads(), c.regime(), inject, recipe);
        Long faultAt = inject.isEmpty() ? null : w.faultStep();
        return new Planned(new RunFolder.Planned(w.name(), as, arm, factor, seed, faultAt, w.shiftAt()), run);
    }

    private void execute(List<Planned> plan, List<RunResult> results, List<String> failed, List<String> missing) {
        int i = 0;
        for (Planned p : plan) {
            i++;
            Path dir = o.out().resolve("runs").resolve(p.folder());
            Path run = dir.resolve("run");
            String label = String.format(Locale.ROOT, "[%d/%d] %s", i, plan.size(), p.folder());
            if (Files.exists(dir.resolve(DONE))) {
                results.add(RunFolder.read(run, p.id()));
                out.println(label + ": done before, kept");
                continue;
            }
            if (o.reportOnly()) {
                missing.add(p.folder());
                continue;
            }
            long t0 = System.nanoTime();
            out.print(label + ": training ... ");
            out.flush();
            int status;
            try {
                Files.createDirectories(dir);
                Path config = dir.resolve("plan.json");
                Files.writeString(config, Json.write(Map.of("run", p.run().toJson())) + "\n");
                deleteRecursively(run);
                status = exec.train(config, run, dir.resolve("train.log"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (status != 0 && status != Main.STOPPED_DIVERGED) {     // a stopped run is a diverged result
                failed.add(p.folder() + " (exit " + status + ", see " + dir.resolve("train.log") + ")");
                out.println("failed (exit " + status + ")");
                continue;
            }
            RunResult r = RunFolder.read(run, p.id());
            results.add(r);
            try {
                Files.writeString(dir.resolve(DONE), "");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.printf(Locale.ROOT, "val %.4f%s, %.0f CPU-s, %.1f min%n", r.finalMetric(),
                    r.diverged() ? " (diverged)" : "", r.cpuSeconds(), (System.nanoTime() - t0) / 60e9);
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
