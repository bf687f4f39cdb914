package dev.tiller.policy;

import dev.tiller.models.data.ShiftingStream;
import dev.tiller.optim.MixedPrecision;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.policy.probe.StepProbes;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.SampleCursor;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;

import java.util.List;
import java.util.Map;

/**
 * A run in progress, as {@link Trainer#step} advances it: the position (the next step, items and micro-batches
 * consumed), the regime's knobs through its decider, the rollback ring, and the components every step uses (task,
 * optimizer, parameters, clipper, loss scaler, probes, log). The ring's snapshots hold the components' state; the
 * position here always moves forward, so a rollback skips the batches since its snapshot instead of repeating them.
 *
 * @param <H> the optimizer's hyperparameter record
 */
public final class TrainState<H extends Record> implements AutoCloseable {
    final Task task;
    final Optimizer<H> optimizer;
    final List<ParamRef> params;
    final GradClipper clipper;
    final DynamicLossScaler scaler;
    final MixedPrecision mixed;
    final StepProbes probes;
    final Decider decider;
    final RegimeSpec regime;
    final RunLog log;
    final TensorPool pool;
    final ShiftingStream<?> shift;
    final ProgressBar bar;
    final SampleCursor cursor;
    final long started;
    RollbackStore ring = RollbackStore.none();

    long step;
    long itemsSeen;
    long trainCpuNanos;
    long skipped;
    long rollbacks;
    /** Steps in a row whose loss or gradient was not finite and that restored nothing. */
    long nonFiniteRun;
    double lastLoss = Double.NaN;
    Map<String, Double> lastEval = Map.of();
    /** Measurements taken after a step's update (validation loss) that the next step's decision reads. */
    Signals pending = Signals.empty();
    /** The anchor weights of the pull toward them, by parameter name; null while the anchor knob is 0. */
    Map<String, Tensor> anchor;
    /** The record of the last update applied (null before the first): the evaluation point may depend on it. */
    H lastUpdate;
    /**
     * What lastUpdate was made from, so a checkpoint can rebuild it without storing the record: the step whose
     * schedule it bound (-1: none yet), the knobs, and the learning-rate factor of an injected spike (1: none).
     */
    long lastUpdateStep = -1;
    Knobs lastUpdateKnobs;
    double lastUpdateLrFactor = 1;

    TrainState(Task task, Optimizer<H> optimizer, List<ParamRef> params, GradClipper clipper,
               DynamicLossScaler scaler, MixedPrecision mixed, StepProbes probes, Decider decider, RegimeSpec regime,
               RunLog log, ProgressBar bar) {
        this.task = task;
        this.optimizer = optimizer;
        this.params = params;
        this.clipper = clipper;
        this.scaler = scaler;
        this.mixed = mixed;
        this.probes = probes;
        this.decider = decider;
        this.regime = regime;
        this.log = log;
        this.bar = bar;
        this.shift = task.shift().orElse(null);
        this.cursor = new SampleCursor(shift);
        this.pool = new TensorPool();
        this.started = System.nanoTime();
    }

    /** The next step to run (0-based); equals the number of steps finished. */
    public long step() {
        return step;
    }

    /** Items (samples, or tokens for text) trained on so far, rolled-back steps included. */
    public long itemsSeen() {
        return itemsSeen;
    }

    /** Micro-batches consumed so far: the data position. */
    public long cursor() {
        return cursor.position();
    }

    /** Steps whose update was not applied (non-finite values, regime skips), rollbacks not counted. */
    public long skippedSteps() {
        return skipped;
    }

    /** Rollbacks so far. */
    public long rollbacks() {
        return rollbacks;
    }

    /** The regime's knob values in force now. */
    public Knobs knobs() {
        return decider.knobs();
    }

    public Decider decider() {
        return decider;
    }

    public RegimeSpec regime() {
        return regime;
    }

    public RollbackStore ring() {
        return ring;
    }

    public StepProbes probes() {
        return probes;
    }

    /** The data cursor (a ring snapshot holds its state). */
    public SampleCursor dataCursor() {
        return cursor;
    }

    public Task task() {
        return task;
    }

    public Optimizer<H> optimizer() {
        return optimizer;
    }

    public List<ParamRef> params() {
        return params;
    }

    /** The clipper as given (null for none); stateful clippers belong in a ring snapshot. */
    public GradClipper clipper() {
        return clipper;
    }

    /** The float16 loss scaler, or null. */
    public DynamicLossScaler lossScaler() {
        return scaler;
    }

    public RunLog log() {
        return log;
    }

    /** Bytes the step pool reserved (off-heap memory of the steps). */
    public long poolReservedBytes() {
        return pool.reservedBytes();
    }

    @Override
    public void close() {
        ring.close();
        pool.close();
    }
}
