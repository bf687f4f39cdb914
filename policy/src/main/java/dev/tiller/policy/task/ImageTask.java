package dev.tiller.policy.task;

import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.nn.Module;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Image classification (MLP, convnet, ResNet): cross-entropy on batches that walk a (seed, epoch) permutation of
 * the training set; validation loss and accuracy over the held-out set.
 */
public final class ImageTask implements Task {
    private final String name;
    private final ImageDataset train;
    private final ImageDataset val;
    private final Module model;
    private final Function<Variable, Variable> forward;
    private final int batch;
    private final long seed;
    private final int microBatches;

    public ImageTask(String name, ImageDataset train, ImageDataset val, Module model,
                     Function<Variable, Variable> forward, int batch, long seed, int microBatches) {
        if (batch > train.size()) {
            throw new IllegalArgumentException(name + ": batch " + batch + " exceeds the " + train.size()
                    + " training examples");
        }
        this.name = name;
        this.train = train;
        this.val = val;
        this.model = model;
        this.forward = forward;
        this.batch = batch;
        this.seed = seed;
        this.microBatches = microBatches;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Variable trainLoss(long step, int micro) {
        long k = step * microBatches + micro;        // the k-th batch of the stream of epochs
        int perEpoch = train.size() / batch;
        int epoch = (int) (k / perEpoch);
        int from = (int) (k % perEpoch) * batch;
        ImageDataset.Batch b = train.batch(seed, epoch, from, from + batch);
        return F.crossEntropy(forward.apply(Variable.constant(b.inputs())), b.labels());
    }

    @Override
    public Map<String, Double> evaluate() {
        double loss = 0;
        long correct = 0;
        int n = val.size();
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int from = 0; from < n; from += 500) {
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
        return Map.of("val_loss", loss / n, "val_accuracy", (double) correct / n);
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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", train.name());
        m.put("train_examples", train.size());
        m.put("val_examples", val.size());
        m.put("image", new int[] {train.channels(), train.height(), train.width()});
        m.put("classes", train.classes());
        m.put("parameters", model.parameterCount());
        m.put("batch", batch);
        return m;
    }
}
