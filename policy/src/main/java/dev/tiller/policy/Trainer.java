package dev.tiller.policy;

import dev.tiller.autograd.Autocast;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.optim.MixedPrecision;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.LossScaleHyper;
import dev.tiller.optim.clip.LossScaleStep;
import dev.tiller.tensor.DType;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.ClipReport;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.policy.state.SampleCursor;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;

import java.io.PrintStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * The training loop: for each step, micro-batch losses are back-propagated (each scaled by 1/k, so k micro-batches give
 * the gradient of their mean), gradients are clipped, the step's hyperparameters come from a schedule (data passed to
 * the optimizer each step, never mutated inside it), and the optimizer steps. Every step runs in a {@link TensorScope}
 * over one {@link TensorPool}, so after the first step no new off-heap memory is reserved. Metrics go to the run log
 * each step; evaluation every evalEvery steps and at the end. Clipping reports a non-finite gradient norm instead of
 * scaling by it; the trainer then skips the update and logs an event, never silently. A non-finite loss (which can come
 * with finite gradients, e.g. log of a negative number) skips the step the same way. When the task's data shifts
 * ({@link Task#shift}), each metrics row carries its phase and a phase_change event marks every shift.
 *
 * @param <H> the optimizer's hyperparameter record
 */
public final class Trainer<H extends Record> {
    /**
     * Loop settings: steps, micro-batches per step, evaluation period (0: only at the end), and the working precision:
     * F32, or BF16 / F16 for a 16-bit copy of the weights and 16-bit activations with float32 master weights
     * (F16 adds dynamic loss scaling, PyTorch GradScaler's defaults).
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
    private final GradClipper clip;
    private final Settings settings;

    public Trainer(Task task, Optimizer<H> optimizer, List<ParamRef> params, LongFunction<H> schedule, GradClipper clip,
                   Settings settings) {
        this.task = task;
        this.optimizer = optimizer;
        this.params = List.copyOf(params);
        this.schedule = schedule;
        this.clip = clip;
        this.settings = settings;
    }

    /** Runs all steps, logging to log and drawing progress on progress (may be null). */
    public Summary run(RunLog log, PrintStream progress) {
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, settings.steps());
        long started = System.nanoTime();
        long skipped = 0;
        double lastLoss = Double.NaN;
        Map<String, Double> lastEval = Map.of();
        log.event(row("step", 0, "event", "run_start", "task", task.name()));
        DType precision = settings.precision();
        MixedPrecision mixed = precision == DType.F32 ? null : new MixedPrecision(params, precision);
        DynamicLossScaler scaler = precision == DType.F16
                ? new DynamicLossScaler(new LossScaleHyper(65536f, 2.0, 0.5, 2000)) : null;
        ShiftingStream<?> shift = task.shift().orElse(null);
        SampleCursor cursor = new SampleCursor(shift);
        try (TensorPool pool = new TensorPool()) {
            for (long step = 0; step < settings.steps(); step++) {
                long t0 = System.nanoTime();
                int phase = shift == null ? 0 : shift.phaseAt(step);
                int previous = shift == null || step == 0 ? phase : shift.phaseAt(step - 1);
                if (phase != previous) {
                    // "step" counts finished steps, as in every event: the new phase's data starts with the next one
                    log.event(row("step", step, "event", "phase_change", "from", previous, "to", phase,
                            "data", shift.describe(phase)));
                }
                H h = schedule.apply(step);
                double loss = 0;
                ClipReport report = null;
                try (TensorScope scope = TensorScope.open(pool)) {
                    for (ParamRef p : params) {
                        p.clearGrad();
                    }
                    float lossScale = scaler == null ? 1f : scaler.scale();
                    Tensor seed = Tensor.full(lossScale / settings.microBatches());
                    if (mixed != null) {
                        mixed.castWeights();
                    }
                    try (GradMode.Scope autocast = precision == DType.F32 ? () -> { } : Autocast.enable(precision)) {
                        for (int m = 0; m < settings.microBatches(); m++) {
                            Variable l = task.trainLoss(step, cursor.next(step));
                            loss += l.value().item() / settings.microBatches();
                            l.backward(seed);
                        }
                    } finally {
                        if (mixed != null) {
                            mixed.restoreMasters();     // the optimizer updates the float32 masters
                        }
                    }
                    for (ParamRef p : params) {
                        p.settleGrad();                 // zeros where no gradient came
                    }
                    boolean lossFinite = Double.isFinite(loss);
                    String skip;
                    if (scaler != null) {
                        scaler.unscale(params);
                        report = clip == null ? null : clip.clip(params);
                        LossScaleStep ls = scaler.step(params, () -> {
                            if (lossFinite) {
                                optimizer.step(h);
                            }
                        });
                        skip = ls.stepSkipped() ? "gradient overflow at loss scale " + ls.scaleUsed()
                                : !lossFinite ? "non-finite loss " + loss : null;
                    } else {
                        report = clip == null ? null : clip.clip(params);
                        skip = !lossFinite ? "non-finite loss " + loss
                                : report != null && !report.finite() ? "non-finite gradient norm " + report.norm()
                                : null;
                        if (skip == null) {
                            optimizer.step(h);
                        }
                    }
                    if (skip != null) {
                        skipped++;
                        log.event(row("step", step + 1, "event", "skipped_step", "reason", skip, "train_loss", loss));
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                lastLoss = loss;
                Map<String, Object> r = row("step", step + 1, "train_loss", loss);
                if (shift != null) {
                    r.put("phase", phase);
                }
                Object lr = component(h, "lr");
                if (lr != null) {
                    r.put("lr", lr);
                }
                if (scaler != null) {
                    r.put("loss_scale", scaler.scale());
                }
                if (report != null) {
                    r.put("grad_norm", report.norm());
                    if (report.clipped()) {
                        r.put("clip_scale", report.scale());
                    }
                }
                r.put(task.unit() + "_per_s", task.itemsPerMicroBatch() * settings.microBatches() / seconds);
                boolean evalNow = step + 1 == settings.steps()
                        || (settings.evalEvery() > 0 && (step + 1) % settings.evalEvery() == 0);
                if (evalNow) {
                    try (TensorScope scope = TensorScope.open(pool)) {
                        task.model().train(false);
                        lastEval = task.evaluate(step);
                    } finally {
                        task.model().train(true);
                    }
                    r.putAll(lastEval);
                    log.event(row("step", step + 1, "event", "eval", "metrics", lastEval));
                }
                log.metrics(r);
                if (bar != null) {
                    StringBuilder status = new StringBuilder(String.format(Locale.ROOT, "loss %.4f", loss));
                    if (lastEval.containsKey("val_loss")) {
                        status.append(String.format(Locale.ROOT, " val %.4f", lastEval.get("val_loss")));
                    }
                    if (lastEval.containsKey("val_accuracy")) {
                        status.append(String.format(Locale.ROOT, " acc %.3f", lastEval.get("val_accuracy")));
                    }
                    bar.update(step + 1, status.toString());
                }
            }
            double total = (System.nanoTime() - started) / 1e9;
            double rate = task.itemsPerMicroBatch() * settings.microBatches() * settings.steps() / total;
            log.event(row("step", settings.steps(), "event", "run_end", "seconds", total, "skipped_steps", skipped));
            return new Summary(settings.steps(), lastLoss, lastEval, skipped, total, rate, pool.reservedBytes());
        }
    }

    /** The value of a record component by name (e.g. "lr"), or null when the record has none. */
    static Object component(Record r, String name) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            if (c.getName().equals(name)) {
                try {
                    return c.getAccessor().invoke(r);
                } catch (ReflectiveOperationException e) {
                    return null;
                }
            }
        }
        return null;
    }

    static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** ParamRefs for every parameter of the task's model, with gradient buffers the optimizer reads. */
    public static List<ParamRef> paramRefs(Task task) {
        List<ParamRef> out = new ArrayList<>();
        task.model().namedParameters().forEach((name, v) -> out.add(ParamRef.of(name, v)));
        return out;
    }
}
