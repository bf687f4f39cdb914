package dev.tiller.policy;

import dev.tiller.autograd.Autocast;
import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.optim.MixedPrecision;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.ClipReport;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.optim.clip.LossScaleHyper;
import dev.tiller.optim.clip.LossScaleStep;
import dev.tiller.optim.clip.Norms;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.log.Event;
import dev.tiller.policy.log.StepMetrics;
import dev.tiller.policy.probe.Probes;
import dev.tiller.policy.probe.StepProbes;
import dev.tiller.policy.regime.Decision;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.KnobSpec;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Regime;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.RunSnapshot;
import dev.tiller.policy.state.RunSnapshotter;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorScope;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.IntToDoubleFunction;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The training loop, one {@link #step(TrainState)} at a time. A step: micro-batch losses are back-propagated (each
 * scaled by 1/k, so k micro-batches give the gradient of their mean); the step's measurements (loss, pre-clip
 * gradient norm, finiteness, loss scale, the effective learning rate and beta1, the previous evaluation's validation
 * loss, the probes' signals) go to the regime, which decides before the update; then the step rolls back to a ring
 * snapshot, skips, or clips (recipe threshold x the clip knob) and updates with the scheduled hyperparameters under
 * the knobs (see {@link KnobBinding}), pulling toward anchor weights when the anchor knob is above 0; a snapshot
 * follows when the regime asks. Every step runs in a {@link TensorScope} over one pool, so after the first step no
 * new off-heap memory is reserved. A typed metrics row goes to the run log each step, events for every decision,
 * rejection, rollback, snapshot, skip, verdict, injected fault, phase change and evaluation. Evaluation runs after
 * the update of every evalEvery-th step and of the last; its validation loss reaches the regime at the next step's
 * decision (evaluating before the update would change the static recipe's logged values); it sees the weights at the
 * optimizer's {@link EvalPoint}, put back bit for bit afterwards. A non-finite loss or gradient norm never reaches
 * the weights: the update is skipped and logged, whatever the regime says.
 *
 * @param <H> the optimizer's hyperparameter record
 */
public final class Trainer<H extends Record> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /**
     * Loop settings: steps, micro-batches per step (the recipe's; the regime's micro_batches knob scales it),
     * evaluation period (0: only at the end), and the working precision: F32, or BF16 / F16 for a 16-bit copy of
     * the weights and 16-bit activations with float32 master weights (F16 adds dynamic loss scaling, PyTorch
     * GradScaler's defaults).
     */
    public record Settings(long steps, int microBatches, long evalEvery, DType precision) {
        public Settings {
            if (steps < 1 || microBatches < 1 || evalEvery < 0) {
                throw new IllegalArgumentException("Trainer: steps and micro-batches must be >= 1 and evalEvery >= 0,"
                        + " got " + steps + ", " + microBatches + ", " + evalEvery);
            }
            if (precision != DType.F32 && precision != DType.BF16 && precision != DType.F16) {
                throw new IllegalArgumentException("Trainer: precision must be f32, bf16 or f16, got " + precision);
            }
        }

        /** Float32 training. */
        public Settings(long steps, int microBatches, long evalEvery) {
            this(steps, microBatches, evalEvery, DType.F32);
        }
    }

    /** What a finished run measured. */
    public record Summary(long steps, double finalTrainLoss, Map<String, Double> finalEval, long skippedSteps,
                          double seconds, double itemsPerSecond, long poolReservedBytes) {}

    private final Task task;
    private final Optimizer<H> optimizer;
    private final List<ParamRef> params;
    private final LongFunction<H> schedule;
    private final KnobBinding<H> binding;
    private final GradClipper clipper;
    private final ClipBinding clip;
    private final Settings settings;
    private RegimeSpec regime = RegimeSpec.staticRegime();
    private Function<RegimeSpec, Decider> deciders = spec -> Decider.of(Regime.of(spec));
    private Function<ProbePlan, StepProbes> probes = Probes::of;
    private BiFunction<TrainState<H>, RegimeSpec.RingSpec, RollbackStore> rings = RingStore::of;
    private Faults faults = Faults.none();
    private long poolLimit = Long.MAX_VALUE;
    private EvalPoint<H> evalPoint = EvalPoint.trained();

    /**
     * A trainer of task's params by optimizer: schedule gives the recipe's hyperparameters at step t, binding how the
     * regime's knobs change them, clip the recipe's clipper (null for none). The regime is static until
     * {@link #regime} sets another.
     */
    public Trainer(Task task, Optimizer<H> optimizer, List<ParamRef> params, LongFunction<H> schedule,
                   KnobBinding<H> binding, GradClipper clip, Settings settings) {
        this.task = task;
        this.optimizer = optimizer;
        this.params = List.copyOf(params);
        this.schedule = schedule;
        this.binding = binding;
        this.clipper = clip;
        this.clip = ClipBinding.of(clip);
        this.settings = settings;
    }

    /** The regime that steers the run (default: static, the schedule alone). */
    public Trainer<H> regime(RegimeSpec spec) {
        this.regime = spec;
        return this;
    }

    /** How a regime spec becomes the decider the trainer calls (default: {@link Regime#of}). */
    public Trainer<H> deciders(Function<RegimeSpec, Decider> factory) {
        this.deciders = factory;
        return this;
    }

    /** How the regime's probe plan becomes the step probes (default: none). */
    public Trainer<H> probes(Function<ProbePlan, StepProbes> factory) {
        this.probes = factory;
        return this;
    }

    /**
     * How the rollback ring is made from the run's components and the regime's ring rules (default: a ring that
     * holds nothing). Called once per run, after the components exist and before the first step.
     */
    public Trainer<H> rollbackStore(BiFunction<TrainState<H>, RegimeSpec.RingSpec, RollbackStore> factory) {
        this.rings = factory;
        return this;
    }

    /**
     * The most off-heap memory the steps may reserve (default: no limit); beyond it a step fails with
     * OffHeapLimitException instead of growing until the operating system kills the process.
     */
    public Trainer<H> poolLimit(long bytes) {
        this.poolLimit = bytes;
        return this;
    }

    /** Faults to inject (default: none). */
    public Trainer<H> faults(Faults f) {
        this.faults = f;
        return this;
    }

    /** Where evaluations see the weights (default: as trained; Schedule-Free evaluates at its x). */
    public Trainer<H> evalPoint(EvalPoint<H> point) {
        this.evalPoint = point;
        return this;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Runs what with the parameters at the evaluation point (see {@link #evalPoint}), then puts the trained weights
     * back bit for bit: for uses of the model after a run (a generated sample) that should see what evaluation saw.
     */
    public <T> T atEvalPoint(TrainState<H> s, Supplier<T> what) {
        try (EvalPoint.Swap swap = evalPoint.enter(s.lastUpdate)) {
            return what.get();
        }
    }

    /** Runs all steps, logging to log and drawing progress on progress (may be null). */
    public Summary run(RunLog log, PrintStream progress) {
        try (TrainState<H> s = start(log, progress)) {
            while (s.step < settings.steps()) {
                step(s);
            }
            return finish(s, progress);
        }
    }

    /** A run at step 0: components made, run_start logged, the ring's capacity printed on progress (may be null). */
    public TrainState<H> start(RunLog log, PrintStream progress) {
        TrainState<H> s = open(log, progress);
        log.event(new Event.RunStart(0, task.name(), regime.name(), regime.ring().capacity()));
        if (progress != null && regime.ring().capacity() > 0) {
            progress.printf(Locale.ROOT, "rollback ring: up to %d snapshots, one every %d steps; %s held now%n",
                    regime.ring().capacity(), regime.ring().every(), mib(s.ring.bytes()));
        }
        return s;
    }

    /**
     * A run put back to the checkpoint saved: components made as {@link #start} makes them, then every part of the
     * state restored (see {@link RunCheckpoint}), so the next {@link #step} is the one after the checkpoint's and
     * every step from there gives the bits the uninterrupted run gave. Logs nothing; the caller logs the resume.
     */
    public TrainState<H> resume(RunLog log, PrintStream progress, CheckpointFile.Loaded saved) {
        TrainState<H> s = open(log, progress);
        try {
            RunCheckpoint.restore(this, s, saved);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private TrainState<H> open(RunLog log, PrintStream progress) {
        DType precision = settings.precision();
        MixedPrecision mixed = precision == DType.F32 ? null : new MixedPrecision(params, precision);
        DynamicLossScaler scaler = precision == DType.F16
                ? new DynamicLossScaler(new LossScaleHyper(65536f, 2.0, 0.5, 2000)) : null;
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, settings.steps());
        TrainState<H> s = new TrainState<>(task, optimizer, params, clipper, scaler, mixed,
                probes.apply(regime.probes()), deciders.apply(regime), regime, log, bar);
        s.ring = rings.apply(s, regime.ring());
        s.pool.limit(poolLimit);
        return s;
    }

    /** Logs run_end and prints the ring's memory on progress (may be null); the caller closes s. */
    public Summary finish(TrainState<H> s, PrintStream progress) {
        double total = (System.nanoTime() - s.started) / 1e9;
        long ringBytes = s.ring.bytes();
        s.log.event(new Event.RunEnd(s.step, total, s.skipped, ringBytes));
        if (progress != null && regime.ring().capacity() > 0) {
            progress.printf(Locale.ROOT, "%s at the end%n", s.ring.describe());
        }
        return new Summary(s.step, s.lastLoss, s.lastEval, s.skipped, total, s.itemsSeen / total,
                s.poolReservedBytes());
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** The hyperparameters step t's update used under knobs, with an injected learning-rate factor (1: none). */
    H updateAt(long t, Knobs knobs, double lrFactor) {
        H used = binding.bind(schedule.apply(t), knobs);
        return lrFactor == 1.0 ? used : binding.scaleLr(used, lrFactor);
    }

    /** Micro-batches of a step under knobs: the recipe's x the micro_batches knob, rounded, at least 1. */
    public int microBatches(Knobs knobs) {
        double s = knobs.get(Knob.MICRO_BATCHES);
        return s == 1.0 ? settings.microBatches() : (int) Math.max(1, Math.round(settings.microBatches() * s));
    }

    /** Runs step s.step() and advances s past it. */
    public void step(TrainState<H> s) {
        long t = s.step;
        long t0 = System.nanoTime();
        long cpu0 = ProcessCpu.nanos();
        RunLog log = s.log;
        int phase = s.shift == null ? 0 : s.shift.phaseAt(t);
        int previous = s.shift == null || t == 0 ? phase : s.shift.phaseAt(t - 1);
        if (phase != previous) {
            // "step" counts finished steps, as in every event: the new phase's data starts with the next one
            log.event(new Event.PhaseChange(t, previous, phase, s.shift.describe(phase)));
        }
        for (Faults.Fault f : faults.at(t)) {
            log.event(new Event.Inject(t + 1, f.kind().key(), f.spec()));
        }
        Knobs before = s.decider.knobs();
        Signals branches = calibrationDue(t) ? calibrate(s, t, before) : Signals.empty();
        int k = microBatches(before);
        H scheduled = schedule.apply(t);
        Map<String, Float> planned = binding.effective(binding.bind(scheduled, before));
        boolean poison = faults.has(t, Faults.Kind.POISON);
        boolean stepFinite = true;
        double loss = 0;
        float norm;
        float usedScale = 1f;
        ClipReport report = null;
        Decision d;
        H used;
        String skip = null;
        boolean applied = false;
        Signals measured;
        try (TensorScope scope = TensorScope.open(s.pool)) {
            for (ParamRef p : params) {
                p.clearGrad();
            }
            usedScale = s.scaler == null ? 1f : s.scaler.scale();
            Tensor seed = Tensor.full(usedScale / k);
            s.probes.beforeStep(t, task, params);
            loss = backward(s, t, k, seed, poison, s.probes);
            if (faults.has(t, Faults.Kind.NAN_GRAD)) {
                Tensor g = params.get(0).grad();
                g.segment().setAtIndex(F32, g.offset(), Float.NaN);
            }
            boolean overflow = s.scaler != null && s.scaler.unscale(params);
            norm = clip.measure(params);
            boolean lossFinite = Double.isFinite(loss);
            boolean finite = lossFinite && !overflow && Float.isFinite(norm);
            stepFinite = finite;
            s.probes.afterBackward(t, task, params, optimizer, binding.bind(scheduled, before));
            measured = measure(loss, norm, finite, s.scaler == null ? null : usedScale, planned)
                    .merge(s.pending).merge(s.probes.collect(t)).merge(branches);
            s.pending = Signals.empty();
            d = s.decider.decide(t, measured);
            logDecision(log, t, d, measured);
            used = binding.bind(scheduled, d.knobs());
            double lrFactor = faults.lrFactor(t);
            if (lrFactor != 1.0) {
                used = binding.scaleLr(used, lrFactor);
            }
            H update = used;
            double a = d.knobs().get(Knob.ANCHOR);
            if (a > 0 && (s.anchor == null || before.get(Knob.ANCHOR) == 0)) {
                s.anchor = anchorWeights(s);      // the weights before this step's update, or the ring's newest
            } else if (a == 0) {
                s.anchor = null;
            }
            double clipScale = d.knobs().get(Knob.CLIP);
            if (d.rollback() || d.skip()) {
                if (s.scaler != null) {
                    s.scaler.step(params, () -> { });   // ends the scaler's iteration; a restore then resets it
                }
                skip = d.rollback() ? null : "regime: " + d.why();
            } else if (s.scaler != null) {
                report = clip.clip(params, norm, clipScale);
                boolean[] ran = new boolean[1];
                LossScaleStep ls = s.scaler.step(params, () -> {
                    if (lossFinite) {
                        optimizer.recordUpdateStats(s.probes.updateStats(t));
                        optimizer.step(update);
                        ran[0] = true;
                    }
                });
                applied = ran[0];
                skip = ls.stepSkipped() ? "gradient overflow at loss scale " + ls.scaleUsed()
                        : !lossFinite ? "non-finite loss " + loss : null;
            } else {
                report = clip.clip(params, norm, clipScale);
                skip = !lossFinite ? "non-finite loss " + loss
                        : !Float.isFinite(norm) ? "non-finite gradient norm " + (double) norm
                        : report != null && !report.finite() ? "non-finite gradient norm " + report.norm()
                        : null;
                if (skip == null) {
                    optimizer.recordUpdateStats(s.probes.updateStats(t));
                    optimizer.step(update);
                    applied = true;
                }
            }
            if (applied) {
                s.lastUpdate = update;
                s.lastUpdateStep = t;
                s.lastUpdateKnobs = d.knobs();
                s.lastUpdateLrFactor = lrFactor;
            }
            if (applied && a > 0) {
                pull(params, s.anchor, (float) a);
            }
            s.probes.afterUpdate(t, applied, params);
        }
        if (skip != null) {
            s.skipped++;
            log.event(new Event.SkippedStep(t + 1, skip, loss));
        }
        boolean restored = false;
        if (d.rollback()) {
            s.rollbacks++;
            restored = s.ring.restore(d.rollbackTo());
            log.event(new Event.Rollback(t + 1, d.rollbackTo() + 1, restored, d.why()));
        }
        s.nonFiniteRun = restored || stepFinite ? 0 : s.nonFiniteRun + 1;
        String diverged = null;
        if (s.nonFiniteRun > 0 && (s.regime.ring().capacity() == 0 || d.rollback() && !restored)) {
            String bad = firstNonFinite();
            if (bad != null || s.nonFiniteRun >= STUCK) {
                diverged = "step " + (t + 1) + ": " + (bad != null ? "parameter " + bad + " is no longer finite"
                        : "the last " + STUCK + " steps' loss or gradient was not finite (loss " + loss + "), so"
                        + " their updates were skipped and the weights cannot move")
                        + ", and " + (d.rollback() ? "the rollback found no snapshot to restore"
                        : "the regime '" + s.regime.name() + "' keeps no snapshots to roll back to")
                        + ". Lower the learning rate (the step's was " + planned.get(Knob.LR.key())
                        + ") or train with --regime adaptive, which rolls back";
            }
        }
        if (d.snapshot()) {
            s.ring.put(t);
            log.event(new Event.Snapshot(t + 1, s.ring.bytes()));
        }
        s.itemsSeen += task.itemsPerMicroBatch() * k;
        double seconds = (System.nanoTime() - t0) / 1e9;
        s.trainCpuNanos += ProcessCpu.nanos() - cpu0;
        s.lastLoss = loss;
        boolean evalNow = t + 1 == settings.steps()
                || (settings.evalEvery() > 0 && (t + 1) % settings.evalEvery() == 0);
        Map<String, Double> eval = Map.of();
        if (evalNow) {
            eval = evaluate(s, t);
            s.lastEval = eval;
            if (eval.containsKey(Signals.VAL_LOSS)) {
                s.pending = Signals.empty().with(Signals.VAL_LOSS, eval.get(Signals.VAL_LOSS));
            }
            log.event(new Event.Eval(t + 1, eval));
        }
        Map<String, Number> effective = new LinkedHashMap<>(binding.effective(used));
        effective.put(Knob.CLIP.key(), clip.threshold(d.knobs().get(Knob.CLIP)));
        effective.put(Knob.MICRO_BATCHES.key(), k);
        effective.put(Knob.ANCHOR.key(), d.knobs().get(Knob.ANCHOR));
        log.metrics(new StepMetrics(t + 1, loss, s.shift == null ? null : phase,
                (Float) effective.get(Knob.LR.key()), s.scaler == null ? null : s.scaler.scale(), norm,
                report != null && report.clipped() ? report.scale() : null, task.unit() + "_per_s",
                task.itemsPerMicroBatch() * k / seconds, eval, s.itemsSeen, s.trainCpuNanos / 1e9, d.knobs(), effective,
                measured, d.derived()));
        if (s.bar != null) {
            StringBuilder status = new StringBuilder(String.format(Locale.ROOT, "loss %.4f", loss));
            if (s.lastEval.containsKey("val_loss")) {
                status.append(String.format(Locale.ROOT, " val %.4f", s.lastEval.get("val_loss")));
            }
            if (s.lastEval.containsKey("val_accuracy")) {
                status.append(String.format(Locale.ROOT, " acc %.3f", s.lastEval.get("val_accuracy")));
            }
            s.bar.update(t + 1, status.toString());
        }
        s.step++;
        if (diverged != null) {
            log.event(new Event.Diverged(t + 1, diverged));
            throw new Diverged(t + 1, diverged);
        }
    }

    /** Non-finite steps in a row, nothing restored, after which a run without a way back stops. */
    static final int STUCK = 5;

    /**
     * A run stopped because its parameters are no longer finite, or its last {@link #STUCK} steps were not finite and
     * skipped (so the weights cannot move), and nothing could restore them.
     */
    public static final class Diverged extends RuntimeException {
        private final long step;

        Diverged(long step, String message) {
            super(message);
            this.step = step;
        }

        /** The step (1-based, as in metrics.jsonl) after which the run stopped. */
        public long step() {
            return step;
        }
    }

    /** The name of the first parameter tensor holding a NaN or an infinity, or null when all are finite. */
    private String firstNonFinite() {
        for (ParamRef p : params) {
            if (!Norms.allFinite(p.value())) {
                return p.name();
            }
        }
        return null;
    }

    /** The task's evaluation after step t, at the optimizer's evaluation point, in evaluation mode. */
    private Map<String, Double> evaluate(TrainState<H> s, long t) {
        try (EvalPoint.Swap swap = evalPoint.enter(s.lastUpdate);
             TensorScope scope = TensorScope.open(s.pool)) {
            task.model().train(false);
            return task.evaluate(t);
        } finally {
            task.model().train(true);
        }
    }

    /** True when step t (0-based) is the regime's learning-rate calibration step in a run of this length. */
    private boolean calibrationDue(long t) {
        RegimeSpec.CalibrationSpec c = regime.calibration();
        return c.runsIn(settings.steps()) && t == c.stepFor(settings.steps());
    }

    /**
     * The learning-rate calibration's branches at step t (see {@link RegimeSpec.CalibrationSpec}): the run is
     * snapshotted whole (parameters, optimizer, clipper, loss scaler, module buffers and dropout counters, data
     * cursor), trained on for the branch's steps under knobs with the learning rate x factor^e and evaluated, and put
     * back bit for bit before the next branch and after the last, so step t then runs as if no branch had been
     * tried. Branch steps draw the same batches the run will, inject no faults, run no probes, log nothing and
     * decide nothing; their items count in items seen and their time in the step's.
     *
     * @return "lr_branch/E" = the validation loss at each branch's end (NaN when it did not end finite), and
     *         "lr_branch_start" = the one where they all start
     */
    private Signals calibrate(TrainState<H> s, long t, Knobs knobs) {
        RegimeSpec.CalibrationSpec c = regime.calibration();
        long n = c.branchSteps(settings.steps());
        KnobSpec lrSpec = regime.knobs().get(Knob.LR);
        double lr = knobs.get(Knob.LR);
        RunSnapshotter whole = RunSnapshotter.builder(task.model(), params, optimizer).clip(clipper)
                .scaler(s.scaler).cursor(s.cursor).build();
        H lastUpdate = s.lastUpdate;
        long lastUpdateStep = s.lastUpdateStep;
        Knobs lastUpdateKnobs = s.lastUpdateKnobs;
        double lastUpdateLrFactor = s.lastUpdateLrFactor;
        Map<Integer, Double> scores = new TreeMap<>();
        Map<String, Double> out = new TreeMap<>();
        out.put(Signals.LR_BRANCH_START, evaluate(s, t - 1).getOrDefault(Signals.VAL_LOSS, Double.NaN));
        try (RunSnapshot start = whole.snapshot()) {
            IntToDoubleFunction branch = e -> {
                double scaled = lr * StrictMath.pow(c.factor(), e);
                Knobs under = knobs.with(Knob.LR, scaled);
                boolean finite = true;
                for (long i = 0; i < n && finite; i++) {
                    finite = branchStep(s, t + i, under);
                }
                double score = finite ? evaluate(s, t + n - 1).getOrDefault(Signals.VAL_LOSS, Double.NaN)
                        : Double.NaN;
                scores.put(e, score);
                whole.restore(start);
                s.lastUpdate = lastUpdate;
                s.lastUpdateStep = lastUpdateStep;
                s.lastUpdateKnobs = lastUpdateKnobs;
                s.lastUpdateLrFactor = lastUpdateLrFactor;
                return score;
            };
            IntPredicate inBounds = e -> {
                double v = lr * StrictMath.pow(c.factor(), e);
                return v >= lrSpec.min() * (1 - 1e-12) && v <= lrSpec.max() * (1 + 1e-12);
            };
            double base = branch.applyAsDouble(0);
            double up = inBounds.test(1) ? branch.applyAsDouble(1) : Double.NaN;
            double down = inBounds.test(-1) ? branch.applyAsDouble(-1) : Double.NaN;
            int dir = better(up, base) && !better(down, up) ? 1 : better(down, base) ? -1 : 0;
            double last = dir > 0 ? up : down;
            for (int e = 2 * dir; dir != 0 && Math.abs(e) <= c.maxMoves() && inBounds.test(e); e += dir) {
                double next = branch.applyAsDouble(e);
                if (!better(next, last)) {
                    break;
                }
                last = next;
            }
        }
        scores.forEach((e, v) -> out.put(Signals.LR_BRANCH + e, v));
        return Signals.of(out);
    }

    /** a is a finite score below b (or b is not finite). */
    private static boolean better(double a, double b) {
        return Double.isFinite(a) && (!Double.isFinite(b) || a < b);
    }

    /**
     * One counterfactual step of a calibration branch under knobs: the step's micro-batches, clipping and update as
     * {@link #step} would make them, without probes, faults, decisions or logs. False when the loss or gradient was
     * not finite (the update is skipped, as in a real step, and the branch ends).
     */
    private boolean branchStep(TrainState<H> s, long t, Knobs knobs) {
        int k = microBatches(knobs);
        H used = binding.bind(schedule.apply(t), knobs);
        boolean finite;
        try (TensorScope scope = TensorScope.open(s.pool)) {
            for (ParamRef p : params) {
                p.clearGrad();
            }
            Tensor seed = Tensor.full((s.scaler == null ? 1f : s.scaler.scale()) / k);
            double loss = backward(s, t, k, seed, false, StepProbes.none());
            boolean overflow = s.scaler != null && s.scaler.unscale(params);
            float norm = clip.measure(params);
            finite = Double.isFinite(loss) && !overflow && Float.isFinite(norm);
            double clipScale = knobs.get(Knob.CLIP);
            if (s.scaler != null) {
                clip.clip(params, norm, clipScale);
                boolean lossFinite = Double.isFinite(loss);
                s.scaler.step(params, () -> {
                    if (lossFinite) {
                        optimizer.step(used);
                    }
                });
                finite = lossFinite;                        // an overflow only moves the scale, as in a real step
            } else if (finite) {
                ClipReport report = clip.clip(params, norm, clipScale);
                finite = report == null || report.finite();
                if (finite) {
                    optimizer.step(used);
                }
            }
            if (finite) {
                s.lastUpdate = used;
                s.lastUpdateStep = t;
                s.lastUpdateKnobs = knobs;
                s.lastUpdateLrFactor = 1;
                double a = knobs.get(Knob.ANCHOR);
                if (a > 0 && s.anchor != null) {
                    pull(params, s.anchor, (float) a);
                }
            }
        }
        s.itemsSeen += task.itemsPerMicroBatch() * k;
        return finite;
    }

    /**
     * Step t's k micro-batches: each loss (x the poison factor when poisoned) back-propagated with seed (scale / k,
     * so the gradients are of their mean) under the run's precision, probes told after each; then every gradient
     * settled (zeros where none came). Returns the mean loss.
     */
    private double backward(TrainState<H> s, long t, int k, Tensor seed, boolean poison, StepProbes probes) {
        double loss = 0;
        if (s.mixed != null) {
            s.mixed.castWeights();
        }
        try (GradMode.Scope autocast = settings.precision() == DType.F32 ? () -> { }
                : Autocast.enable(settings.precision())) {
            for (int m = 0; m < k; m++) {
                Variable l = task.trainLoss(t, s.cursor.next(t));
                if (poison) {
                    l = F.scale(l, Faults.POISON_FACTOR);
                }
                loss += l.value().item() / k;
                l.backward(seed);
                probes.afterMicroBatch(t, m, task, params);
            }
        } finally {
            if (s.mixed != null) {
                s.mixed.restoreMasters();         // the optimizer updates the float32 masters
            }
        }
        for (ParamRef p : params) {
            p.settleGrad();                       // zeros where no gradient came
        }
        return loss;
    }

    /** The every-step signals: loss, grad_norm, finite, loss_scale (f16 only), eff_lr, eff_beta1. */
    private static Signals measure(double loss, float norm, boolean finite, Float lossScale,
                                   Map<String, Float> planned) {
        Map<String, Double> m = new HashMap<>();
        m.put(Signals.LOSS, loss);
        m.put(Signals.GRAD_NORM, (double) norm);
        m.put(Signals.FINITE, finite ? 1.0 : 0.0);
        if (lossScale != null) {
            m.put(Signals.LOSS_SCALE, (double) lossScale);
        }
        Float lr = planned.get(Knob.LR.key());
        if (lr != null) {
            m.put(Signals.EFF_LR, (double) lr);
        }
        Float beta1 = planned.get(Knob.MOMENTUM.key());
        if (beta1 != null) {
            m.put(Signals.EFF_BETA1, (double) beta1);
        }
        return Signals.of(m);
    }

    /** One event per knob change, rejection and trial verdict of d, in that order. */
    private static void logDecision(RunLog log, long t, Decision d, Signals measured) {
        if (d.derived().has(Derived.ANOMALY) && d.derived().get(Derived.ANOMALY) == 1) {
            Map<String, Double> seen = new LinkedHashMap<>();
            for (String k : List.of(Signals.LOSS, Signals.GRAD_NORM, Signals.FINITE)) {
                if (measured.has(k)) {
                    seen.put(k, measured.get(k));
                }
            }
            for (String k : List.of(Derived.LOSS_Z, Derived.GRAD_NORM_Z)) {
                if (d.derived().has(k)) {
                    seen.put(k, d.derived().get(k));
                }
            }
            log.event(new Event.Anomaly(t + 1, seen));
        }
        for (Decision.Change c : d.changes()) {
            log.event(new Event.Decision(t + 1, c.controller(), c.knob().key(), c.old(), c.now(), c.reason(),
                    c.evidence()));
        }
        for (Decision.Rejection r : d.rejections()) {
            var p = r.proposal();
            log.event(new Event.Rejected(t + 1, p.controller(), p.action().name().toLowerCase(Locale.ROOT),
                    p.knob() == null ? null : p.knob().key(), p.knob() == null ? null : p.target(), r.why(),
                    p.reason(), p.evidence()));
        }
        for (Decision.Verdict v : d.verdicts()) {
            log.event(new Event.TrialVerdict(t + 1, v.controller(), v.knob().key(), v.kept(), v.reason(),
                    v.evidence()));
        }
    }

    /**
     * The weights the anchor pulls toward: the newest ring snapshot's parameters (the weights before whatever made
     * the regime raise the anchor), else the current ones; copied, outside the step pool.
     */
    private Map<String, Tensor> anchorWeights(TrainState<H> s) {
        Map<String, Tensor> from = s.ring.newestParameters();
        Map<String, Tensor> out = new HashMap<>();
        for (ParamRef p : params) {
            Tensor src = from.getOrDefault(p.name(), p.value());
            Tensor c = Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape());
            c.copyFrom(src);
            out.put(p.name(), c);
        }
        return out;
    }

    /** theta -= a * (theta - anchor), element-wise in float32. */
    private static void pull(List<ParamRef> params, Map<String, Tensor> anchor, float a) {
        for (ParamRef p : params) {
            Tensor w = p.value();
            Tensor z = anchor.get(p.name());
            MemorySegment ws = w.segment();
            MemorySegment zs = z.segment();
            long wo = w.offset();
            long zo = z.offset();
            long n = w.numel();
            for (long i = 0; i < n; i++) {
                float v = ws.getAtIndex(F32, wo + i);
                ws.setAtIndex(F32, wo + i, v - a * (v - zs.getAtIndex(F32, zo + i)));
            }
        }
    }

    /** ParamRefs for every parameter of the task's model, with gradient buffers the optimizer reads. */
    public static List<ParamRef> paramRefs(Task task) {
        List<ParamRef> out = new ArrayList<>();
        task.model().namedParameters().forEach((name, v) -> out.add(ParamRef.of(name, v)));
        return out;
    }
}
