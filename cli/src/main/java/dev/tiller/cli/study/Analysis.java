package dev.tiller.cli.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The regime study's figures, computed from its runs the way AlgoPerf scores training algorithms: a target per
 * workload from the tuned baseline, time-to-target per contender (median over seeds, a miss counting as infinity),
 * a performance-profile score, and the regime's goals, each met, not met, or without data. Every function is pure and
 * takes whatever subset of runs exists: a missing run leaves a figure empty (NaN, "no data"), never an exception.
 *
 * <p>Conventions: metrics are lower-is-better; a diverged run's final metric (NaN) ranks as +infinity; a median of an
 * even count is the mean of the two middle values (so a miss among them makes it infinite); a relative gap is
 * (x - reference) / |reference|.
 *
 * @param workloads        per workload: grid, oracle, target and one row per contender (arm base)
 * @param cpuProfile       the performance profile on CPU-seconds to target (the deciding figure)
 * @param stepProfile      the same on steps to target
 * @param robustness       the learning-rate arms against the oracle
 * @param faults           the fault arms against their fault-free twins
 * @param shifts           detection delay and forgetting on shifting workloads
 * @param goals            the regime's goals in the order the study states them
 * @param runCount         distinct runs analysed
 * @param totalCpuSeconds  CPU-seconds of all runs together (grid and arms included)
 */
public record Analysis(List<WorkloadResult> workloads, Profile cpuProfile, Profile stepProfile,
                       List<Robustness> robustness, List<FaultRecovery> faults, List<ShiftResult> shifts,
                       List<Goal> goals, int runCount, double totalCpuSeconds) {

    /** Contenders in report order; others found in the runs follow, sorted by name. */
    public static final List<String> CONTENDERS = List.of("static", "oracle", "adaptive", "plateau", "hypergradient",
            "schedule-free", "prodigy");
    /** Workloads in report order; others found in the runs follow, sorted by name. */
    public static final List<String> WORKLOADS = List.of("gpt", "convnet", "gcn", "resnet", "jdk-shift",
            "fashion-mnist-shift");
    public static final String STATIC = "static";
    public static final String ORACLE = "oracle";
    public static final String ADAPTIVE = "adaptive";
    public static final String GRID = "grid";
    public static final String BASE = "base";
    /** The learning-rate arms: started at 10x and at 1/10 the default learning rate. */
    public static final List<String> LR_ARMS = List.of("lr-x10", "lr-x0.1");
    /** Arms whose name starts so inject a fault at the run's faultAt. */
    public static final String FAULT_PREFIX = "fault-";

    /** AlgoPerf's r_max: slower than this factor of the fastest earns no credit. */
    public static final double R_MAX = 4;
    /** Goal: the regime's final metric within this relative gap of the oracle's. */
    public static final double ORACLE_GAP = 0.02;
    /** Goal: the regime's CPU-seconds to target within this factor of the oracle's. */
    public static final double TIME_FACTOR = 1.05;
    /** Goal: from a 10x or 1/10 learning rate, the final metric within this relative gap of the oracle's. */
    public static final double LR_ARM_GAP = 0.05;
    /** Fault recovery: the faulted training curve within this relative gap of its fault-free twin's. */
    public static final double FAULT_GAP = 0.02;
    /** Fault recovery: back within {@link #FAULT_GAP} this many steps after the fault at most. */
    public static final long FAULT_STEPS = 200;
    /** Goal: the shift detected this many steps after it at most. */
    public static final long DETECT_STEPS = 100;

    public Analysis {
        workloads = List.copyOf(workloads);
        robustness = List.copyOf(robustness);
        faults = List.copyOf(faults);
        shifts = List.copyOf(shifts);
        goals = List.copyOf(goals);
    }

    /** When a run first reached a target: its step, samples seen and training CPU-seconds by then. */
    public record TimeToTarget(long step, long samples, double cpuSeconds) {}

    /**
     * One contender on one workload (arm base), over its seeds. Times to target are medians with a miss as +infinity
     * (printed "not reached"), NaN when the workload has no target.
     *
     * @param divergences  seeds whose run diverged
     * @param rollbacks    rollbacks summed over seeds
     * @param skipped      skipped steps summed over seeds
     * @param samples      median training samples seen
     * @param cpuSeconds   median training CPU-seconds
     */
    public record Row(String contender, int seeds, double finalMedian, double finalMin, double finalMax,
                      double stepsToTarget, double cpuToTarget, double samplesToTarget, double samples,
                      double cpuSeconds, int divergences, long rollbacks, long skipped) {}

    /**
     * One workload.
     *
     * @param grid          the oracle's grid on its seed: learning-rate factor to final metric (NaN: diverged)
     * @param gridSeed      the seed the grid ran on
     * @param oracleFactor  the best grid point's factor (NaN without a grid or oracle runs)
     * @param target        median over seeds of the oracle's final metric (NaN without oracle runs)
     * @param rows          one per contender present, in report order
     * @param runs          the base runs behind each row, by contender, sorted by seed (the oracle's resolved)
     */
    public record WorkloadResult(String workload, SortedMap<Double, Double> grid, long gridSeed, double oracleFactor,
                                 double target, List<Row> rows, Map<String, List<RunResult>> runs) {
        public WorkloadResult {
            grid = Collections.unmodifiableSortedMap(new TreeMap<>(grid));
            rows = List.copyOf(rows);
            runs = copy(runs);
        }

        public Optional<Row> row(String contender) {
            return rows.stream().filter(r -> r.contender().equals(contender)).findFirst();
        }

        public boolean hasTarget() {
            return Double.isFinite(target);
        }
    }

    /**
     * A performance profile: per contender and workload the ratio r of its time to target to the fastest contender's
     * (+infinity: not reached or no run), and the score (1/(r_max-1)) * integral from 1 to r_max of rho(tau), rho
     * the fraction of workloads with r <= tau.
     *
     * @param unit       "CPU-seconds" or "steps"
     * @param workloads  the workloads with a target, the profile's denominator
     */
    public record Profile(String unit, List<String> workloads, List<String> contenders,
                          Map<String, Map<String, Double>> ratios, Map<String, Double> scores) {
        public Profile {
            workloads = List.copyOf(workloads);
            contenders = List.copyOf(contenders);
            Map<String, Map<String, Double>> deep = new LinkedHashMap<>();
            ratios.forEach((c, r) -> deep.put(c, copy(r)));
            ratios = copy(deep);
            scores = Map.copyOf(scores);
        }

        public double score(String contender) {
            return scores.getOrDefault(contender, Double.NaN);
        }
    }

    /** A learning-rate arm's final metric (median over seeds) against the oracle's; gap NaN without an oracle. */
    public record Robustness(String workload, String contender, String arm, int seeds, double finalMedian,
                             double oracle, double gap, boolean within) {}

    /**
     * A faulted run against its fault-free twin (same workload, contender and seed, arm base). recoverySteps: steps
     * after faultAt from which the smoothed training loss stays within {@link #FAULT_GAP} of the twin's to the end
     * (null when it does not, or without a twin; note says which).
     */
    public record FaultRecovery(String workload, String contender, String arm, long seed, long faultAt,
                                Long recoverySteps, boolean recovered, String note) {}

    /**
     * One contender's run on a shifting workload. level: the larger of the static and adaptive runs' final new-domain
     * losses on this seed (NaN without both); oldAtLevel: this run's old-domain loss when its new-domain loss first
     * reached level after the shift (interpolated between evaluations), stepAtLevel the (fractional) step of it.
     */
    public record ShiftResult(String workload, String contender, long seed, long shiftAt, Long detectedAt,
                              Long delay, double level, double oldAtLevel, double stepAtLevel) {}

    /** A goal's verdict. */
    public enum Status {
        MET("MET"), NOT_MET("NOT MET"), NO_DATA("NO DATA");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** One of the regime's goals, its verdict and the numbers behind it. */
    public record Goal(String name, Status status, String detail) {}

    // ---------------------------------------------------------------- analysis

    /** Analyses runs (any subset of the study; of two runs with one key the later counts). */
    public static Analysis of(List<RunResult> all) {
        List<RunResult> runs = RunsJson.unique(all);
        double cpu = 0;
        for (RunResult r : runs) {
            if (Double.isFinite(r.cpuSeconds())) {
                cpu += r.cpuSeconds();
            }
        }
        List<WorkloadResult> workloads = new ArrayList<>();
        for (String w : ordered(runs.stream().map(RunResult::workload).toList(), WORKLOADS)) {
            workloads.add(workload(w, runs));
        }
        Profile cpuProfile = profile("CPU-seconds", workloads, Row::cpuToTarget);
        Profile stepProfile = profile("steps", workloads, Row::stepsToTarget);
        List<Robustness> robustness = robustness(runs, workloads);
        List<FaultRecovery> faults = faults(runs);
        List<ShiftResult> shifts = shifts(runs, workloads);
        List<Goal> goals = goals(runs, workloads, cpuProfile, robustness, faults, shifts);
        return new Analysis(workloads, cpuProfile, stepProfile, robustness, faults, shifts, goals, runs.size(), cpu);
    }

    public Optional<WorkloadResult> workload(String name) {
        return workloads.stream().filter(w -> w.workload().equals(name)).findFirst();
    }

    /** The first curve point at or below target; empty when the curve never gets there (or target is not finite). */
    public static Optional<TimeToTarget> timeToTarget(RunResult run, double target) {
        if (Double.isFinite(target)) {
            for (CurvePoint p : run.curve()) {
                if (p.value() <= target) {
                    return Optional.of(new TimeToTarget(p.step(), p.samples(), p.cpuSeconds()));
                }
            }
        }
        return Optional.empty();
    }

    /** The median, NaN ranking as +infinity; NaN for no values. Even counts take the mean of the middle two. */
    public static double median(double... xs) {
        if (xs.length == 0) {
            return Double.NaN;
        }
        double[] s = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            s[i] = Double.isNaN(xs[i]) ? Double.POSITIVE_INFINITY : xs[i];
        }
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : mean2(s[n / 2 - 1], s[n / 2]);
    }

    private static double mean2(double a, double b) {
        return a == b ? a : a / 2 + b / 2;     // infinities stay infinite, not NaN
    }

    /** (x - reference) / |reference|; NaN when either is NaN, +infinity for a diverged x. */
    public static double gap(double x, double reference) {
        if (Double.isNaN(reference) || Double.isInfinite(reference)) {
            return Double.NaN;
        }
        double v = Double.isNaN(x) ? Double.POSITIVE_INFINITY : x;
        if (reference == 0) {
            return v == 0 ? 0 : v > 0 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        }
        return (v - reference) / Math.abs(reference);
    }

    /**
     * The profile score of ratios (one per workload, +infinity for a miss): (1/(r_max-1)) * integral from 1 to r_max
     * of rho(tau). rho steps up by 1/W at each r, so the integral is exactly the sum over workloads of
     * (r_max - r) / W for r <= r_max.
     */
    public static double profileScore(List<Double> ratios, double rMax) {
        if (ratios.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (double r : ratios) {
            if (r <= rMax) {
                sum += rMax - Math.max(1, r);
            }
        }
        return sum / ((rMax - 1) * ratios.size());
    }

    private static WorkloadResult workload(String w, List<RunResult> all) {
        List<RunResult> runs = all.stream().filter(r -> r.workload().equals(w)).toList();
        List<RunResult> base = runs.stream().filter(r -> r.arm().equals(BASE)).toList();
        long gridSeed = base.stream().filter(r -> r.contender().equals(GRID)).mapToLong(RunResult::seed).min()
                .orElse(0);
        // the grid: "grid" runs on the grid seed; its factor-1 point may be the static run of that seed (only where
        // grid runs exist: static alone is no oracle)
        SortedMap<Double, RunResult> gridRuns = new TreeMap<>();
        for (RunResult r : base) {
            if (r.contender().equals(GRID) && r.seed() == gridSeed) {
                gridRuns.put(r.lrFactor(), r);
            }
        }
        boolean hasGrid = !gridRuns.isEmpty();
        for (RunResult r : base) {
            if (hasGrid && r.contender().equals(STATIC) && r.seed() == gridSeed && r.lrFactor() == 1) {
                gridRuns.putIfAbsent(1.0, r);
            }
        }
        SortedMap<Double, Double> grid = new TreeMap<>();
        gridRuns.forEach((f, r) -> grid.put(f, r.finalMetric()));
        double oracleFactor = Double.NaN;
        double best = Double.POSITIVE_INFINITY;
        for (Map.Entry<Double, Double> e : grid.entrySet()) {
            double v = Double.isNaN(e.getValue()) ? Double.POSITIVE_INFINITY : e.getValue();
            if (Double.isNaN(oracleFactor) || v < best) {
                best = v;
                oracleFactor = e.getKey();
            }
        }
        // contenders' base runs by seed; the oracle falls back on the grid's best point and, at factor 1, on static
        Map<String, Map<Long, RunResult>> bySeed = new LinkedHashMap<>();
        for (RunResult r : base) {
            if (!r.contender().equals(GRID)) {
                Map<Long, RunResult> m = bySeed.computeIfAbsent(r.contender(), k -> new TreeMap<>());
                RunResult had = m.get(r.seed());
                if (had == null || Math.abs(StrictMath.log(r.lrFactor())) < Math.abs(StrictMath.log(had.lrFactor()))) {
                    m.put(r.seed(), r);     // of several factors, the one nearest the default
                }
            }
        }
        if (Double.isNaN(oracleFactor) && bySeed.containsKey(ORACLE)) {
            oracleFactor = bySeed.get(ORACLE).values().iterator().next().lrFactor();
        }
        if (!Double.isNaN(oracleFactor)) {
            Map<Long, RunResult> oracle = new TreeMap<>(bySeed.getOrDefault(ORACLE, Map.of()));
            RunResult bestGrid = gridRuns.get(oracleFactor);
            if (bestGrid != null) {
                oracle.putIfAbsent(gridSeed, bestGrid);
            }
            if (hasGrid && oracleFactor == 1) {
                bySeed.getOrDefault(STATIC, Map.of()).forEach(oracle::putIfAbsent);
            }
            if (!oracle.isEmpty()) {
                bySeed.put(ORACLE, oracle);
            }
        }
        Map<String, List<RunResult>> byContender = new LinkedHashMap<>();
        for (String c : ordered(bySeed.keySet(), CONTENDERS)) {
            byContender.put(c, List.copyOf(bySeed.get(c).values()));
        }
        List<RunResult> oracleRuns = byContender.getOrDefault(ORACLE, List.of());
        double target = median(oracleRuns.stream().mapToDouble(RunResult::finalMetric).toArray());
        if (Double.isInfinite(target)) {
            target = Double.NaN;       // a diverged oracle sets no target
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, List<RunResult>> e : byContender.entrySet()) {
            rows.add(row(e.getKey(), e.getValue(), target));
        }
        return new WorkloadResult(w, grid, gridSeed, oracleFactor, target, rows, byContender);
    }

    private static Row row(String contender, List<RunResult> runs, double target) {
        int n = runs.size();
        double[] fin = new double[n];
        double[] steps = new double[n];
        double[] cpuTo = new double[n];
        double[] samplesTo = new double[n];
        double[] samples = new double[n];
        double[] cpu = new double[n];
        int divergences = 0;
        long rollbacks = 0;
        long skipped = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            RunResult r = runs.get(i);
            fin[i] = r.finalMetric();
            double f = Double.isNaN(fin[i]) ? Double.POSITIVE_INFINITY : fin[i];
            min = Math.min(min, f);
            max = Math.max(max, f);
            Optional<TimeToTarget> t = timeToTarget(r, target);
            steps[i] = t.map(x -> (double) x.step()).orElse(Double.POSITIVE_INFINITY);
            cpuTo[i] = t.map(TimeToTarget::cpuSeconds).orElse(Double.POSITIVE_INFINITY);
            samplesTo[i] = t.map(x -> (double) x.samples()).orElse(Double.POSITIVE_INFINITY);
            samples[i] = r.samples();
            cpu[i] = r.cpuSeconds();
            divergences += r.diverged() ? 1 : 0;
            rollbacks += r.rollbacks();
            skipped += r.skipped();
        }
        boolean targeted = Double.isFinite(target);
        return new Row(contender, n, median(fin), min, max, targeted ? median(steps) : Double.NaN,
                targeted ? median(cpuTo) : Double.NaN, targeted ? median(samplesTo) : Double.NaN, median(samples),
                median(cpu), divergences, rollbacks, skipped);
    }

    private interface Time {
        double of(Row row);
    }

    private static Profile profile(String unit, List<WorkloadResult> workloads, Time time) {
        List<String> names = new ArrayList<>();
        Set<String> contenders = new LinkedHashSet<>();
        for (WorkloadResult w : workloads) {
            if (w.hasTarget()) {
                names.add(w.workload());
                w.rows().forEach(r -> contenders.add(r.contender()));
            }
        }
        List<String> order = ordered(contenders, CONTENDERS);
        Map<String, Map<String, Double>> ratios = new LinkedHashMap<>();
        order.forEach(c -> ratios.put(c, new LinkedHashMap<>()));
        for (WorkloadResult w : workloads) {
            if (!w.hasTarget()) {
                continue;
            }
            Map<String, Double> t = new HashMap<>();
            double fastest = Double.POSITIVE_INFINITY;
            for (String c : order) {
                double v = w.row(c).map(time::of).orElse(Double.POSITIVE_INFINITY);   // no run: not solved
                t.put(c, v);
                fastest = Math.min(fastest, v);
            }
            for (String c : order) {
                double v = t.get(c);
                double r;
                if (!Double.isFinite(v) || !Double.isFinite(fastest)) {
                    r = Double.POSITIVE_INFINITY;
                } else if (fastest == 0) {
                    r = v == 0 ? 1 : Double.POSITIVE_INFINITY;
                } else {
                    r = v / fastest;
                }
                ratios.get(c).put(w.workload(), r);
            }
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        for (String c : order) {
            scores.put(c, profileScore(List.copyOf(ratios.get(c).values()), R_MAX));
        }
        return new Profile(unit, names, order, ratios, scores);
    }

    private static List<Robustness> robustness(List<RunResult> runs, List<WorkloadResult> workloads) {
        Map<String, List<RunResult>> cells = new TreeMap<>();
        for (RunResult r : runs) {
            if (LR_ARMS.contains(r.arm())) {
                cells.computeIfAbsent(r.workload() + "\u0000" + r.contender() + "\u0000" + r.arm(),
                        k -> new ArrayList<>()).add(r);
            }
        }
        List<Robustness> out = new ArrayList<>();
        for (List<RunResult> cell : cells.values()) {
            RunResult first = cell.get(0);
            double oracle = targetOf(workloads, first.workload());
            double fin = median(cell.stream().mapToDouble(RunResult::finalMetric).toArray());
            double gap = gap(fin, oracle);
            out.add(new Robustness(first.workload(), first.contender(), first.arm(), cell.size(), fin, oracle, gap,
                    gap <= LR_ARM_GAP));
        }
        out.sort(Comparator.comparing((Robustness r) -> rank(r.workload(), WORKLOADS))
                .thenComparing(r -> rank(r.contender(), CONTENDERS)).thenComparing(r -> LR_ARMS.indexOf(r.arm())));
        return out;
    }

    private static double targetOf(List<WorkloadResult> workloads, String w) {
        return workloads.stream().filter(x -> x.workload().equals(w)).mapToDouble(WorkloadResult::target)
                .findFirst().orElse(Double.NaN);
    }

    private static List<FaultRecovery> faults(List<RunResult> runs) {
        List<FaultRecovery> out = new ArrayList<>();
        for (RunResult r : runs) {
            if (!r.arm().startsWith(FAULT_PREFIX) || r.faultAt() == null) {
                continue;
            }
            Optional<RunResult> twin = runs.stream().filter(t -> t.arm().equals(BASE)
                    && t.workload().equals(r.workload()) && t.contender().equals(r.contender())
                    && t.seed() == r.seed()).min(Comparator.comparingDouble(t -> Math.abs(t.lrFactor()
                    - r.lrFactor())));
            if (twin.isEmpty()) {
                out.add(new FaultRecovery(r.workload(), r.contender(), r.arm(), r.seed(), r.faultAt(), null, false,
                        "no fault-free run"));
                continue;
            }
            out.add(recovery(r, twin.get()));
        }
        out.sort(Comparator.comparing((FaultRecovery f) -> rank(f.workload(), WORKLOADS))
                .thenComparing(f -> rank(f.contender(), CONTENDERS)).thenComparing(FaultRecovery::arm)
                .thenComparingLong(FaultRecovery::seed));
        return out;
    }

    /**
     * Compares faulted's training curve with twin's at the twin's points from faultAt on (a point the faulted curve
     * lacks, being non-finite, is out of tolerance): recovery is the first such point from which every later one is
     * within {@link #FAULT_GAP}, in steps after faultAt.
     */
    public static FaultRecovery recovery(RunResult faulted, RunResult twin) {
        long at = faulted.faultAt();
        Map<Long, Double> f = new HashMap<>();
        for (CurvePoint p : faulted.trainCurve()) {
            f.put(p.step(), p.value());
        }
        List<CurvePoint> after = twin.trainCurve().stream().filter(p -> p.step() >= at).toList();
        if (after.isEmpty()) {
            return new FaultRecovery(faulted.workload(), faulted.contender(), faulted.arm(), faulted.seed(), at, null,
                    false, "fault-free curve ends before the fault");
        }
        Long from = null;
        for (int i = after.size() - 1; i >= 0; i--) {
            CurvePoint p = after.get(i);
            Double v = f.get(p.step());
            double g = v == null ? Double.POSITIVE_INFINITY : Math.abs(gap(v, p.value()));
            if (!(g <= FAULT_GAP)) {
                break;
            }
            from = p.step();
        }
        Long steps = from == null ? null : from - at;
        boolean ok = steps != null && steps <= FAULT_STEPS;
        String note = steps == null ? "not back within " + pct(FAULT_GAP) + " by the end" : "";
        return new FaultRecovery(faulted.workload(), faulted.contender(), faulted.arm(), faulted.seed(), at, steps,
                ok, note);
    }

    private static List<ShiftResult> shifts(List<RunResult> runs, List<WorkloadResult> workloads) {
        List<ShiftResult> out = new ArrayList<>();
        for (WorkloadResult w : workloads) {
            List<RunResult> st = w.runs().getOrDefault(STATIC, List.of());
            List<RunResult> ad = w.runs().getOrDefault(ADAPTIVE, List.of());
            Set<Long> seeds = new TreeSet<>();
            st.stream().filter(r -> r.shiftAt() != null).forEach(r -> seeds.add(r.seed()));
            ad.stream().filter(r -> r.shiftAt() != null).forEach(r -> seeds.add(r.seed()));
            for (long seed : seeds) {
                RunResult s = bySeed(st, seed);
                RunResult a = bySeed(ad, seed);
                double level = s == null || a == null ? Double.NaN
                        : Math.max(finalValue(s.newDomain()), finalValue(a.newDomain()));
                for (RunResult r : new RunResult[] {s, a}) {
                    if (r != null && r.shiftAt() != null) {
                        double[] at = oldAtLevel(r, level);
                        Long delay = r.detectedAt() == null ? null : r.detectedAt() - r.shiftAt();
                        out.add(new ShiftResult(r.workload(), r.contender(), seed, r.shiftAt(), r.detectedAt(), delay,
                                level, at[0], at[1]));
                    }
                }
            }
        }
        return out;
    }

    private static RunResult bySeed(List<RunResult> runs, long seed) {
        return runs.stream().filter(r -> r.seed() == seed).findFirst().orElse(null);
    }

    private static double finalValue(List<CurvePoint> curve) {
        double v = curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1).value();
        return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
    }

    /**
     * The old-domain loss when run's new-domain loss first reaches level at an evaluation after the shift, and the
     * step of it: between the evaluation before (itself after the shift) and the one reaching level, both losses are
     * interpolated linearly in the new-domain loss; at the first evaluation after the shift the values are taken as
     * they are. {NaN, NaN} when it never does (or level is NaN).
     */
    public static double[] oldAtLevel(RunResult run, double level) {
        Map<Long, Double> old = new HashMap<>();
        for (CurvePoint p : run.oldDomain()) {
            old.put(p.step(), p.value());
        }
        CurvePoint prev = null;
        for (CurvePoint p : run.newDomain()) {
            if (run.shiftAt() == null || p.step() <= run.shiftAt() || !old.containsKey(p.step())) {
                continue;
            }
            if (p.value() <= level) {
                double o = old.get(p.step());
                if (prev == null || !(prev.value() > level)) {
                    return new double[] {o, p.step()};
                }
                double f = (prev.value() - level) / (prev.value() - p.value());
                double o0 = old.get(prev.step());
                return new double[] {o0 + f * (o - o0), prev.step() + f * (p.step() - prev.step())};
            }
            prev = p;
        }
        return new double[] {Double.NaN, Double.NaN};
    }

    // ---------------------------------------------------------------- goals

    private static List<Goal> goals(List<RunResult> runs, List<WorkloadResult> workloads, Profile cpuProfile,
                                    List<Robustness> robustness, List<FaultRecovery> faults,
                                    List<ShiftResult> shifts) {
        List<Goal> goals = new ArrayList<>();
        goals.add(atLeastAsGood(workloads));
        goals.add(nearOracle(workloads));
        goals.add(timeToTarget(workloads));
        goals.add(profileHighest(cpuProfile));
        goals.add(neverDiverges(runs));
        goals.add(lrArms(robustness));
        goals.add(faultGoal(faults));
        goals.add(detection(shifts));
        goals.add(forgetting(shifts));
        return goals;
    }

    private static final List<String> RIVALS = List.of(STATIC, "plateau", "hypergradient", "schedule-free", "prodigy");

    private static Goal atLeastAsGood(List<WorkloadResult> workloads) {
        String name = "adaptive at least as good as static, plateau, hypergradient, schedule-free and prodigy on every"
                + " workload (median final validation metric)";
        int compared = 0;
        List<String> lost = new ArrayList<>();
        for (WorkloadResult w : workloads) {
            Optional<Row> a = w.row(ADAPTIVE);
            if (a.isEmpty()) {
                continue;
            }
            for (Row r : w.rows()) {
                if (!RIVALS.contains(r.contender())) {
                    continue;
                }
                compared++;
                if (!(a.get().finalMedian() <= r.finalMedian())) {
                    lost.add(w.workload() + ": " + num(a.get().finalMedian()) + " vs " + r.contender() + " "
                            + num(r.finalMedian()));
                }
            }
        }
        if (compared == 0) {
            return new Goal(name, Status.NO_DATA, "no workload with adaptive and a rival");
        }
        return new Goal(name, lost.isEmpty() ? Status.MET : Status.NOT_MET, lost.isEmpty()
                ? "no worse in " + compared + " of " + compared + " comparisons"
                : "worse in " + lost.size() + " of " + compared + " comparisons: " + String.join("; ", lost));
    }

    private static Goal nearOracle(List<WorkloadResult> workloads) {
        String name = "adaptive within " + pct(ORACLE_GAP) + " of the oracle's final validation metric on every"
                + " workload";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (WorkloadResult w : workloads) {
            Optional<Row> a = w.row(ADAPTIVE);
            if (a.isEmpty() || !w.hasTarget()) {
                continue;
            }
            double g = gap(a.get().finalMedian(), w.target());
            all &= g <= ORACLE_GAP;
            parts.add(w.workload() + " " + num(a.get().finalMedian()) + " vs " + num(w.target()) + " ("
                    + signedPct(g) + ")");
        }
        return verdict(name, parts, all);
    }

    private static Goal timeToTarget(List<WorkloadResult> workloads) {
        String name = "adaptive reaches each target within " + TIME_FACTOR + "x the oracle's CPU-seconds";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (WorkloadResult w : workloads) {
            Optional<Row> a = w.row(ADAPTIVE);
            Optional<Row> o = w.row(ORACLE);
            if (a.isEmpty() || o.isEmpty() || !w.hasTarget()) {
                continue;
            }
            double ta = a.get().cpuToTarget();
            double to = o.get().cpuToTarget();
            boolean ok = Double.isFinite(ta) && (!Double.isFinite(to) || ta <= TIME_FACTOR * to);
            all &= ok;
            parts.add(w.workload() + " " + time(ta) + " vs " + time(to)
                    + (Double.isFinite(ta) && Double.isFinite(to) && to > 0
                    ? " (" + String.format(Locale.ROOT, "%.2fx", ta / to) + ")" : ""));
        }
        return verdict(name, parts, all);
    }

    private static Goal profileHighest(Profile p) {
        String name = "adaptive has the highest performance-profile score (CPU-seconds to target)";
        double a = p.score(ADAPTIVE);
        if (p.workloads().isEmpty() || Double.isNaN(a) || p.contenders().size() < 2) {
            return new Goal(name, Status.NO_DATA, "needs adaptive, another contender and a workload with a target");
        }
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (String c : p.contenders()) {
            double s = p.score(c);
            parts.add(c + " " + String.format(Locale.ROOT, "%.3f", s));
            if (!c.equals(ADAPTIVE)) {
                all &= a >= s;
            }
        }
        return new Goal(name, all ? Status.MET : Status.NOT_MET, String.join(", ", parts) + " over "
                + p.workloads().size() + " workload(s)");
    }

    private static Goal neverDiverges(List<RunResult> runs) {
        String name = "adaptive never diverges (every arm)";
        List<RunResult> a = runs.stream().filter(r -> r.contender().equals(ADAPTIVE)).toList();
        if (a.isEmpty()) {
            return new Goal(name, Status.NO_DATA, "no adaptive runs");
        }
        List<String> diverged = a.stream().filter(RunResult::diverged).map(RunResult::key).toList();
        return new Goal(name, diverged.isEmpty() ? Status.MET : Status.NOT_MET, diverged.size() + " of " + a.size()
                + " adaptive runs diverged" + (diverged.isEmpty() ? "" : ": " + String.join(", ", diverged)));
    }

    private static Goal lrArms(List<Robustness> robustness) {
        String name = "from 10x or 1/10 the default learning rate adaptive ends within " + pct(LR_ARM_GAP)
                + " of the oracle (static alongside)";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        int staticMisses = 0;
        int staticCells = 0;
        for (Robustness r : robustness) {
            if (Double.isNaN(r.gap())) {
                continue;
            }
            if (r.contender().equals(ADAPTIVE)) {
                all &= r.within();
                parts.add(r.workload() + " " + r.arm() + " " + signedPct(r.gap()));
            } else if (r.contender().equals(STATIC)) {
                staticCells++;
                staticMisses += r.within() ? 0 : 1;
            }
        }
        if (staticCells > 0 && !parts.isEmpty()) {
            parts.add("static misses " + pct(LR_ARM_GAP) + " in " + staticMisses + " of " + staticCells + " cells");
        }
        return verdict(name, parts, all);
    }

    private static Goal faultGoal(List<FaultRecovery> faults) {
        String name = "under every injected fault adaptive is back within " + pct(FAULT_GAP) + " of its fault-free"
                + " curve within " + FAULT_STEPS + " steps";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (FaultRecovery f : faults) {
            if (!f.contender().equals(ADAPTIVE) || f.note().equals("no fault-free run")) {
                continue;
            }
            all &= f.recovered();
            parts.add(f.workload() + " " + f.arm() + " seed " + f.seed() + ": "
                    + (f.recoverySteps() == null ? "not back" : f.recoverySteps() + " steps"));
        }
        return verdict(name, parts, all);
    }

    private static Goal detection(List<ShiftResult> shifts) {
        String name = "adaptive detects the shift within " + DETECT_STEPS + " steps";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (ShiftResult s : shifts) {
            if (s.contender().equals(ADAPTIVE)) {
                all &= s.delay() != null && s.delay() >= 0 && s.delay() <= DETECT_STEPS;
                parts.add(s.workload() + " seed " + s.seed() + ": " + (s.delay() == null ? "not detected"
                        : s.delay() + " steps"));
            }
        }
        return verdict(name, parts, all);
    }

    private static Goal forgetting(List<ShiftResult> shifts) {
        String name = "adaptive forgets less than static at equal new-domain loss (median old-domain loss)";
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (String w : ordered(shifts.stream().map(ShiftResult::workload).toList(), WORKLOADS)) {
            double a = median(shifts.stream().filter(s -> s.workload().equals(w) && s.contender().equals(ADAPTIVE)
                    && !Double.isNaN(s.level())).mapToDouble(ShiftResult::oldAtLevel).toArray());
            double s = median(shifts.stream().filter(x -> x.workload().equals(w) && x.contender().equals(STATIC)
                    && !Double.isNaN(x.level())).mapToDouble(ShiftResult::oldAtLevel).toArray());
            if (Double.isNaN(a) || Double.isNaN(s)) {
                continue;
            }
            all &= a < s;
            parts.add(w + " old-domain loss " + num(a) + " vs static " + num(s));
        }
        return verdict(name, parts, all);
    }

    private static Goal verdict(String name, List<String> parts, boolean all) {
        if (parts.isEmpty()) {
            return new Goal(name, Status.NO_DATA, "no runs to judge it");
        }
        return new Goal(name, all ? Status.MET : Status.NOT_MET, String.join("; ", parts));
    }

    // ---------------------------------------------------------------- helpers

    /** Names in known's order first, then the rest sorted; each once. */
    static List<String> ordered(Iterable<String> names, List<String> known) {
        Set<String> seen = new TreeSet<>();
        names.forEach(seen::add);
        List<String> out = new ArrayList<>(seen);
        out.sort(Comparator.comparingInt((String s) -> rank(s, known)).thenComparing(s -> s));
        return out;
    }

    private static int rank(String name, List<String> known) {
        int i = known.indexOf(name);
        return i < 0 ? known.size() : i;
    }

    private static <V> Map<String, V> copy(Map<String, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "diverged" : "-inf";
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String time(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Double.isInfinite(v)) {
            return "not reached";
        }
        return String.format(Locale.ROOT, "%.1f s", v);
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }

    static String signedPct(double g) {
        if (Double.isNaN(g)) {
            return "n/a";
        }
        if (Double.isInfinite(g)) {
            return "diverged";
        }
        return String.format(Locale.ROOT, "%+.2f%%", g * 100);
    }
}
