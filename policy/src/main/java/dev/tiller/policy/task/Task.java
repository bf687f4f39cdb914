package dev.tiller.policy.task;

import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.nn.Module;
import dev.tiller.policy.state.SampleCursor;

import java.util.Map;
import java.util.Optional;

/**
 * A model on a dataset, as the trainer sees it: the loss of a training micro-batch with its graph recorded, and
 * validation metrics. Training batches are pure functions of (seed, phase, cursor): the step selects the phase of
 * data that shifts, and the cursor, counted in micro-batches, the batch within it (a {@link SampleCursor} keeps it),
 * so a run's data position is its cursor and a change of micro-batches per step neither skips nor repeats data.
 */
public interface Task {
    /** Short name for the run folder: "gpt-jdk-util", "convnet-fashion-mnist", ... */
    String name();

    Module model();

    /**
     * Training loss (graph recorded; the caller runs backward) of the micro-batch at cursor in the data of the phase
     * active at step: cursor counts the micro-batches of that phase drawn before this one ({@link SampleCursor#next}),
     * from 0 at the phase's first micro-batch; for data that never shifts, the micro-batches of the run.
     */
    Variable trainLoss(long step, long cursor);

    /** Validation metrics without gradients: "val_loss" and, where it applies, "val_accuracy". */
    Map<String, Double> evaluate();

    /**
     * Validation metrics after training step step (0-based, the step just trained). A task whose data shifts
     * reports the phase active at that step as "val_loss" (and "val_accuracy") and every phase p as
     * "val_loss_phase{p}"; any other task ignores the step.
     */
    default Map<String, Double> evaluate(long step) {
        return evaluate();
    }

    /** The shifting stream the training data follows, when it has more than one phase; the trainer logs its shifts. */
    default Optional<ShiftingStream<?>> shift() {
        return Optional.empty();
    }

    /**
     * Loss (graph recorded) of batch index of the task's probe stream at step: training data of the phase active at
     * step, from a stream the training batches never draw on, sized like a training micro-batch. Probes use it for a
     * fresh-batch loss, an extra gradient for the noise scale, and a fixed batch for curvature. Empty when the task
     * has no such stream (full-batch tasks).
     */
    default Optional<Variable> probeLoss(long step, long index) {
        return Optional.empty();
    }

    /**
     * {count, mean, population variance} of the inputs of the micro-batch the last {@link #trainLoss} drew (pixel
     * values for images, token ids for text), read before the step's tensors are released (a probe asks right after
     * each micro-batch). Empty before any, or when the task does not expose its inputs.
     */
    default Optional<double[]> lastInputStats() {
        return Optional.empty();
    }

    /** Samples (or tokens, see {@link #unit}) one micro-batch holds. */
    long itemsPerMicroBatch();

    /**
     * The same task at another batch size, sharing this task's model and data, or empty when the batch is fixed (a
     * full-batch task): for measuring how a step's memory grows with the batch before a run starts.
     */
    default Optional<Task> withBatch(int batch) {
        return Optional.empty();
    }

    /** "tokens" or "samples". */
    String unit();

    /** A few lines to show at the end of a run (a generated text sample), or empty. */
    default String finalReport() {
        return "";
    }

    /** Facts about the task for config.json (dataset sizes, model shape). */
    Map<String, Object> describe();
}
