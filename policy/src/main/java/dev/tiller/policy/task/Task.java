package dev.tiller.policy.task;

import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.nn.Module;

import java.util.Map;
import java.util.Optional;

/**
 * A model on a dataset, as the trainer sees it: the loss of training micro-batch (step, micro) with its graph
 * recorded, and validation metrics. Batches are pure functions of (seed, step, micro), so the data position of a
 * run is its step count.
 */
public interface Task {
    /** Short name for the run folder: "gpt-jdk-util", "convnet-fashion-mnist", ... */
    String name();

    Module model();

    /** Training loss on micro-batch micro of step (graph recorded; the caller runs backward). */
    Variable trainLoss(long step, int micro);

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
     * {count, mean, population variance} of the inputs of training micro-batch (step, micro): pixel values for
     * images, token ids for text. Empty when the task does not expose its inputs.
     */
    default Optional<double[]> inputStats(long step, int micro) {
        return Optional.empty();
    }

    /** Samples (or tokens, see {@link #unit}) one micro-batch holds. */
    long itemsPerMicroBatch();

    /** "tokens" or "samples". */
    String unit();

    /** A few lines to show at the end of a run (a generated text sample), or empty. */
    default String finalReport() {
        return "";
    }

    /** Facts about the task for config.json (dataset sizes, model shape). */
    Map<String, Object> describe();
}
