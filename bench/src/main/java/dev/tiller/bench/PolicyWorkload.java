package dev.tiller.bench;

import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.TrainState;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.probe.Probes;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.RegimeSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The adaptive regime's overhead on the GPT workload at the adaptive preset's intervals, as a share of the static
 * step: policy_overhead_pct. Measured, in three parts, on the bench GPT ({@link ProbeWorkload.FixedGpt}: reference
 * model, batch 16 x 128 of fixed random bytes, AdamW lr 3e-4, global-norm clip 1, one micro-batch):
 * <ol>
 * <li>Two real {@link Trainer}s, one under the static preset and one under the adaptive preset, each with its own
 * optimizer and run folder (logging as a training run does) but the same model and parameter tensors (so memory
 * layout favours neither), step alternately (the order flips every pair, so drift in the machine's load hits both
 * alike), after a joint warm-up (StepTimer's rules). a = the median static step;
 * b = the median adaptive step over the plain pairs: those where no probe of interval above 1 is due and no snapshot
 * is taken (also leaving out any step the regime rolled back, skipped or ran with more micro-batches, which change the
 * work rather than add overhead). The per-step cost of the regime itself (its decision, signal bank, logging and the
 * every-step probes) is d = the median over the plain pairs of (adaptive step - static step of the same pair): a
 * paired difference, so a burst of load that slows both steps of a pair cancels, which b - a does not.</li>
 * <li>Each probe's cost per call from {@link Probes#costNanos}, with every probe due every step (the preset's
 * power-iteration count), as {@link ProbeWorkload} measures it: median over a few steps after warm-up.</li>
 * <li>A snapshot's cost: the adaptive run's ring put, timed directly a few times (median).</li>
 * </ol>
 * policy_overhead_pct = 100 [d + sum over probes of interval > 1 of cost / interval + snapshot / ring.every] / a.
 * Also printed: policy_static_step_s (a), policy_adaptive_step_s (b), policy_regime_pct (100 d / a),
 * policy_snapshot_pct and policy_probe_NAME_pct, each probe's amortised share 100 cost / interval / a; the share of a
 * probe due every step is already inside b - a and is printed for information only, not added twice.
 * On a loaded machine d still carries the noise of single steps (it can come out below 0); more pairs narrow it.
 */
final class PolicyWorkload {
    /** Timed steps of each trainer. */
    private static final int PAIRS = 60;
    /** Least warm-up steps of each trainer (StepTimer's time and JIT rules add more). */
    private static final int WARM = 3;
    /** Probe-cost steps: untimed, then timed. */
    private static final int PROBE_WARM = 2;
    private static final int PROBE_N = 3;
    /** Timed snapshots. */
    private static final int SNAPSHOTS = 5;

    private PolicyWorkload() {}

    /** A trainer of task's params (its own optimizer) under regime, its run started in a folder under root. */
    private static final class Run implements AutoCloseable {
        final Trainer<AdamWHyper> trainer;
        final RunLog log;
        final TrainState<AdamWHyper> state;

        Run(ProbeWorkload.FixedGpt task, List<ParamRef> params, RegimeSpec regime, Path root) {
            AdamWHyper h = AdamWHyper.defaults().withLr(3e-4f);
            trainer = new Trainer<>(task, new AdamW(params), params, t -> h, KnobBinding.adamW(),
                    GlobalNormClip.l2(1f), new Trainer.Settings(Long.MAX_VALUE, 1, 0)).regime(regime);
            log = new RunLog(root.resolve(regime.name()), Map.of("bench", "policy", "regime", regime.toJson()));
            state = trainer.start(log, null);
        }

        /** One step; its seconds. */
        double step() {
            long t0 = System.nanoTime();
            trainer.step(state);
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            state.close();
            log.close();
        }
    }

    static void run(Main.Report out) {
        RegimeSpec adaptive = RegimeSpec.preset("adaptive");
        ProbePlan plan = adaptive.probes();
        Map<String, Long> intervals = intervals(plan);
        Path root = tempDir();
        double a;
        double b;
        double d;
        double snapshot;
        ProbeWorkload.FixedGpt task = new ProbeWorkload.FixedGpt();
        List<ParamRef> params = Trainer.paramRefs(task);
        try (Run stat = new Run(task, params, RegimeSpec.preset("static"), root);
             Run adapt = new Run(task, params, adaptive, root)) {
            StepTimer.warmUp(() -> {
                stat.step();
                adapt.step();
            }, WARM, StepTimer.MIN_WARMUP_SECONDS, StepTimer.QUIET_STEPS, StepTimer.QUIET_SECONDS,
                    StepTimer.MAX_WARMUP_SECONDS);
            double[] st = new double[PAIRS];
            List<Double> ad = new ArrayList<>();
            List<Double> diffs = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                long t = adapt.state.step();
                long rollbacks = adapt.state.rollbacks();
                long skipped = adapt.state.skippedSteps();
                boolean plain = adapt.trainer.microBatches(adapt.state.knobs()) == 1
                        && !ProbePlan.due(adaptive.ring().capacity() > 0 ? adaptive.ring().every() : 0, t)
                        && intervals.values().stream().noneMatch(n -> n > 1 && ProbePlan.due(n, t));
                double seconds;
                if (i % 2 == 0) {
                    st[i] = stat.step();
                    seconds = adapt.step();
                } else {
                    seconds = adapt.step();
                    st[i] = stat.step();
                }
                if (plain && adapt.state.rollbacks() == rollbacks && adapt.state.skippedSteps() == skipped) {
                    ad.add(seconds);
                    diffs.add(seconds - st[i]);
                }
            }
            a = Main.median(st);
            b = Main.median(ad.stream().mapToDouble(Double::doubleValue).toArray());
            d = Main.median(diffs.stream().mapToDouble(Double::doubleValue).toArray());
            double[] snaps = new double[SNAPSHOTS];
            for (int i = 0; i < SNAPSHOTS; i++) {
                long t0 = System.nanoTime();
                adapt.state.ring().put(adapt.state.step() - 1);
                snaps[i] = (System.nanoTime() - t0) / 1e9;
            }
            snapshot = Main.median(snaps);
        } finally {
            delete(root);
        }
        ProbePlan forced = new ProbePlan(1, 1, 1, 1, plan.hessianIterations(), 1, 1, 1);
        Map<String, Double> cost = ProbeWorkload.medians(Probes.of(forced), PROBE_WARM, PROBE_N);

        double total = d;
        Map<String, Double> shares = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : intervals.entrySet()) {
            String probe = e.getKey();
            long n = e.getValue();
            if (n > 0) {
                double perStep = cost.get(probe) / n;
                shares.put(probe, 100 * perStep / a);
                if (n > 1) {
                    total += perStep;
                }
            }
        }
        long every = adaptive.ring().every();
        double snapshotShare = adaptive.ring().capacity() > 0 ? snapshot / every : 0;
        total += snapshotShare;
        out.put("policy_static_step_s", a);
        out.put("policy_adaptive_step_s", b);
        out.put("policy_regime_pct", 100 * d / a);
        shares.forEach((probe, pct) -> out.put("policy_probe_" + probe + "_pct", pct));
        out.put("policy_snapshot_pct", 100 * snapshotShare / a);
        out.put("policy_overhead_pct", 100 * total / a);
    }

    /** Each probe's interval in plan, by name. */
    private static Map<String, Long> intervals(ProbePlan plan) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(Probes.LAYER_NORMS, plan.layerNorms());
        m.put(Probes.UPDATE_RATIO, plan.updateRatio());
        m.put(Probes.NOISE, plan.noise());
        m.put(Probes.HESSIAN, plan.hessian());
        m.put(Probes.SATURATION, plan.saturation());
        m.put(Probes.INPUT_STATS, plan.inputStats());
        m.put(Probes.FRESH_LOSS, plan.freshLoss());
        return m;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("tiller-bench-policy");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes the run folders: they hold nothing but the timing runs' logs. */
    private static void delete(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
