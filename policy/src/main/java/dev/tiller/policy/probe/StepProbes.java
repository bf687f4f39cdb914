package dev.tiller.policy.probe;

import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.UpdateStats;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.Task;

import java.util.List;
import java.util.Map;

/**
 * The measurements a step takes beyond loss and gradient norm, called by the trainer at fixed points of every step;
 * each probe acts only on the steps its {@link ProbePlan} interval makes due. A probe never
 * disturbs the run: an extra forward, backward or Hessian-vector product restores dropout counters, batch-norm
 * statistics and gradients, so a run with probes trains the same bits as one without.
 */
public interface StepProbes {
    /** Before the step's first micro-batch (arm observers, read input statistics, fresh-batch loss). */
    void beforeStep(long step, Task task, List<ParamRef> params);

    /** After micro-batch micro's backward; gradients hold the sum over micro-batches 0..micro. */
    void afterMicroBatch(long step, int micro, Task task, List<ParamRef> params);

    /** After all micro-batches and before clipping and the update (per-layer norms, curvature). */
    void afterBackward(long step, Task task, List<ParamRef> params);

    /**
     * {@link #afterBackward(long, Task, List)} with the optimizer the step will update with and hyper, its record
     * under the knobs in force before the step's decision: the curvature probe reads the optimizer's state (never
     * changes it) to measure Adam's preconditioned sharpness. The trainer calls this one; by default the optimizer is
     * ignored.
     */
    default void afterBackward(long step, Task task, List<ParamRef> params, Optimizer<?> optimizer, Record hyper) {
        afterBackward(step, task, params);
    }

    /**
     * The sink the optimizer's step at step should fill with per-parameter update statistics, or null when no probe
     * wants them: the trainer calls {@code optimizer.recordUpdateStats(probes.updateStats(step))} just before
     * {@code optimizer.step}, after {@link #afterBackward}. Filling it does not change the update's bits.
     */
    default UpdateStats updateStats(long step) {
        return null;
    }

    /** After the update (or after a skipped one, with applied false). */
    void afterUpdate(long step, boolean applied, List<ParamRef> params);

    /** What this step measured, then forgets it; empty on steps no probe was due. */
    Signals collect(long step);

    /**
     * Measurements a step took that reach the next step's signals (update ratios), kept across the step boundary: a
     * checkpoint saves them and {@link #carry} puts them back.
     */
    default Map<String, Double> carried() {
        return Map.of();
    }

    /** Puts back what {@link #carried} returned. */
    default void carry(Map<String, Double> values) {
    }

    /** Time each probe spent so far, in nanoseconds, by probe name, for the overhead report. */
    Map<String, Long> costNanos();

    /** No probes. */
    static StepProbes none() {
        return new StepProbes() {
            @Override
            public void beforeStep(long step, Task task, List<ParamRef> params) {}

            @Override
            public void afterMicroBatch(long step, int micro, Task task, List<ParamRef> params) {}

            @Override
            public void afterBackward(long step, Task task, List<ParamRef> params) {}

            @Override
            public void afterUpdate(long step, boolean applied, List<ParamRef> params) {}

            @Override
            public Signals collect(long step) {
                return Signals.empty();
            }

            @Override
            public Map<String, Long> costNanos() {
                return Map.of();
            }
        };
    }
}
