package dev.tiller.policy.task;

import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.ShiftingStream.ImagePhase;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorScope;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Image classification (MLP, convnet, ResNet): cross-entropy on batches that walk a (seed, epoch) permutation of
 * the training set, the cursor-th micro-batch being the walk's cursor-th batch; validation loss and accuracy over the
 * held-out set. On a {@link ShiftingStream} of class subsets, step s draws from the phase active at s (its own
 * permutation walk, restarted when the phase begins), and validation reports the active phase's held-out classes plus
 * every phase's.
 */
public final class ImageTask implements Task {
    private static final long PROBE_SALT = 0x9E3779B97F4A7C15L;
    private final String name;
    private final ShiftingStream<ImagePhase> data;
    private final Module model;
    private final Function<Variable, Variable> forward;
    private final int batch;
    private Tensor lastInputs;              // the last trainLoss's inputs, for lastInputStats
    private final long seed;

    public ImageTask(String name, ImageDataset train, ImageDataset val, Module model,
                     Function<Variable, Variable> forward, int batch, long seed) {
        this(name, ShiftingStream.single(train.name(), new ImagePhase(allClasses(train.classes()), train, val)), model,
                forward, batch, seed);
    }

    /** Training and validation data follow the phases of data (one phase: an ordinary image task). */
    public ImageTask(String name, ShiftingStream<ImagePhase> data, Module model, Function<Variable, Variable> forward,
                     int batch, long seed) {
        for (int p = 0; p < data.phases(); p++) {
            ImageDataset train = data.phase(p).train();
            if (batch > train.size()) {
                throw new IllegalArgumentException(name + ": batch " + batch + " exceeds the " + train.size()
                        + " training examples" + (data.phases() > 1 ? " of phase " + p : ""));
            }
        }
        this.name = name;
        this.data = data;
        this.model = model;
        this.forward = forward;
        this.batch = batch;
        this.seed = seed;
    }

    /** This task at another batch size, sharing the model (for measuring a step's memory). */
    @Override
    public Optional<Task> withBatch(int b) {
        return Optional.of(new ImageTask(name, data, model, forward, b, seed));
    }

    private static int[] allClasses(int n) {
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            c[i] = i;
        }
        return c;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Module model() {
        return model;
    }

    /**
     * The micro-batch at cursor (within the phase active at step, see {@link Task#trainLoss}): inputs (B, C, H, W)
     * and labels (B), the cursor-th batch of the phase's walk of epochs, a pure function of (seed, phase, cursor).
     */
    public ImageDataset.Batch trainBatch(long step, long cursor) {
        if (cursor < 0) {
            throw new IllegalArgumentException(name + ": cursor " + cursor + " is negative");
        }
        int p = data.phaseAt(step);
        return data.phase(p).train().nthBatch(ShiftingStream.phaseSeed(seed, p), batch, cursor);
    }

    @Override
    public Variable trainLoss(long step, long cursor) {
        ImageDataset.Batch b = trainBatch(step, cursor);
        lastInputs = b.inputs();
        return F.crossEntropy(forward.apply(Variable.constant(b.inputs())), b.labels());
    }

    @Override
    public Optional<Variable> probeLoss(long step, long index) {
        int p = data.phaseAt(step);
        // its own permutation walk of the phase's training set (the training walk's seed with a salt)
        ImageDataset.Batch b = data.phase(p).train().nthBatch(ShiftingStream.phaseSeed(seed, p) ^ PROBE_SALT, batch,
                index);
        return Optional.of(F.crossEntropy(forward.apply(Variable.constant(b.inputs())), b.labels()));
    }

    @Override
    public Optional<double[]> lastInputStats() {
        return lastInputs == null ? Optional.empty() : Optional.of(Moments.of(lastInputs.toFloatArray()));
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluate(0);
    }

    @Override
    public Map<String, Double> evaluate(long step) {
        if (data.phases() == 1) {
            double[] la = lossAndAccuracy(data.phase(0).val());
            return Map.of("val_loss", la[0], "val_accuracy", la[1]);
        }
        List<double[]> perPhase = new ArrayList<>();
        for (int p = 0; p < data.phases(); p++) {
            perPhase.add(lossAndAccuracy(data.phase(p).val()));
        }
        int active = data.phaseAt(step);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_loss", perPhase.get(active)[0]);
        m.put("val_accuracy", perPhase.get(active)[1]);
        for (int p = 0; p < perPhase.size(); p++) {
            m.put("val_loss_phase" + p, perPhase.get(p)[0]);
            m.put("val_accuracy_phase" + p, perPhase.get(p)[1]);
        }
        return m;
    }

    /** Mean cross-entropy and accuracy (argmax over all classes) over val. */
    private double[] lossAndAccuracy(ImageDataset val) {
        double loss = 0;
        long correct = 0;
        int n = val.size();
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int from = 0; from < n; from += 500) {
                try (TensorScope slice = TensorScope.openHere()) {     // one slice's activations at a time
                    int to = Math.min(n, from + 500);
                    ImageDataset.Batch b = val.slice(from, to);
                    Variable logits = forward.apply(Variable.constant(b.inputs()));
                    loss += F.crossEntropy(logits, b.labels()).value().item() * (to - from);
                    float[] z = logits.value().toFloatArray();
                    int[] y = b.labels().toIntArray();
                    int c = val.classes();
                    for (int i = 0; i < y.length; i++) {
                        int best = 0;
                        for (int j = 1; j < c; j++) {
                            if (z[i * c + j] > z[i * c + best]) {
                                best = j;
                            }
                        }
                        correct += best == y[i] ? 1 : 0;
                    }
                }
            }
        }
        return new double[] {loss / n, (double) correct / n};
    }

    @Override
    public Optional<ShiftingStream<?>> shift() {
        return data.phases() > 1 ? Optional.of(data) : Optional.empty();
    }

    @Override
    public long itemsPerMicroBatch() {
        return batch;
    }

    @Override
    public String unit() {
        return "samples";
    }

    @Override
    public Map<String, Object> describe() {
        ImageDataset train = data.phase(0).train();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", data.phases() == 1 ? train.name() : data.name());
        if (data.phases() == 1) {
            m.put("train_examples", train.size());
            m.put("val_examples", data.phase(0).val().size());
        } else {
            m.put("shift_steps", data.shiftSteps());
            m.put("phases", data.describe());
        }
        m.put("image", new int[] {train.channels(), train.height(), train.width()});
        m.put("classes", train.classes());
        m.put("parameters", model.parameterCount());
        m.put("batch", batch);
        return m;
    }
}
