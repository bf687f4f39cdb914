package dev.tiller.policy.task;

import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ByteWindows;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorScope;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Byte-level language modelling: the GPT on a text corpus. Training batches are random windows of the training split
 * keyed by (seed, cursor); validation loss is the mean over evalBatches fixed random windows of the validation
 * split (the quality anchor of docs/workloads.md uses 32 batches of 16 x 128). On a {@link ShiftingStream} of corpora
 * (e.g. java.util then java.sql), step s draws from the corpus of the phase active at s, keyed by (phase seed, cursor
 * in phase), and validation reports the active phase plus every phase (evalBatches each).
 */
public final class GptTask implements Task {
    /**
     * Cursor c draws window batch c * CURSOR_STRIDE: the index the step-keyed draws gave (step in phase c, micro 0),
     * so runs of one micro-batch per step keep their data.
     */
    private static final long CURSOR_STRIDE = 1 << 16;
    private final ShiftingStream<TextCorpus> data;
    private final Gpt model;
    private final ByteWindows[] train;      // (P) one window stream per phase
    private final ByteWindows[] val;        // (P)
    private final ByteWindows[] probe;      // (P) windows of the training split that training never draws
    private final int batch;
    private Tensor lastInputs;              // the last trainLoss's inputs, for lastInputStats
    private final int evalBatches;
    private final GptConfig config;
    private final long seed;

    public GptTask(TextCorpus corpus, GptConfig config, int batch, long seed, int evalBatches) {
        this(ShiftingStream.single(corpus.name(), corpus), config, batch, seed, evalBatches);
    }

    /** Training and validation text follow the phases of data (one phase: an ordinary language-modelling task). */
    public GptTask(ShiftingStream<TextCorpus> data, GptConfig config, int batch, long seed, int evalBatches) {
        this(data, new Gpt(config, seed), config, batch, seed, evalBatches);
    }

    private GptTask(ShiftingStream<TextCorpus> data, Gpt model, GptConfig config, int batch, long seed,
                    int evalBatches) {
        this.data = data;
        this.model = model;
        this.config = config;
        this.seed = seed;
        this.batch = batch;
        this.evalBatches = evalBatches;
        this.train = new ByteWindows[data.phases()];
        this.val = new ByteWindows[data.phases()];
        this.probe = new ByteWindows[data.phases()];
        for (int p = 0; p < data.phases(); p++) {
            TextCorpus c = data.phase(p);
            int need = config.context() + 2;
            if (c.train().length < need || c.validation().length < need) {
                boolean t = c.train().length < need;
                throw new IllegalArgumentException("corpus " + c.name() + ": its " + (t ? "training" : "validation")
                        + " split holds " + (t ? c.train().length : c.validation().length) + " bytes, fewer than "
                        + need + " (a window of " + (config.context() + 1) + " tokens and one more to draw from); "
                        + (t ? "the training split is the first 90% of the text" : "the validation split is the last"
                        + " 10% of a file's bytes, or every tenth file of a folder") + ", so give more text");
            }
            long s = ShiftingStream.phaseSeed(seed, p);
            train[p] = new ByteWindows(data.phase(p).train(), batch, config.context(), s, 1);
            val[p] = new ByteWindows(data.phase(p).validation(), batch, config.context(), s, 2);
            probe[p] = new ByteWindows(data.phase(p).train(), batch, config.context(), s, 3);
        }
    }

    /** This task at another batch size, sharing the model (for measuring a step's memory). */
    @Override
    public Optional<Task> withBatch(int b) {
        return Optional.of(new GptTask(data, model, config, b, seed, evalBatches));
    }

    @Override
    public String name() {
        return "gpt-" + data.name().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public Module model() {
        return model;
    }

    /**
     * The micro-batch at cursor (within the phase active at step, see {@link Task#trainLoss}): inputs and targets
     * (B, T), a pure function of (seed, phase, cursor).
     */
    public ByteWindows.Batch trainBatch(long step, long cursor) {
        if (cursor < 0) {
            throw new IllegalArgumentException(name() + ": cursor " + cursor + " is negative");
        }
        return train[data.phaseAt(step)].batch(cursor * CURSOR_STRIDE);
    }

    @Override
    public Variable trainLoss(long step, long cursor) {
        ByteWindows.Batch b = trainBatch(step, cursor);
        lastInputs = b.inputs();
        return model.loss(b.inputs(), b.targets());
    }

    @Override
    public Optional<Variable> probeLoss(long step, long index) {
        ByteWindows.Batch b = probe[data.phaseAt(step)].batch(index);
        return Optional.of(model.loss(b.inputs(), b.targets()));
    }

    @Override
    public Optional<double[]> lastInputStats() {
        return lastInputs == null ? Optional.empty() : Optional.of(Moments.of(lastInputs.toIntArray()));
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluate(0);
    }

    @Override
    public Map<String, Double> evaluate(long step) {
        if (data.phases() == 1) {
            return Map.of("val_loss", valLoss(val[0]));
        }
        double[] perPhase = new double[data.phases()];
        for (int p = 0; p < perPhase.length; p++) {
            perPhase[p] = valLoss(val[p]);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_loss", perPhase[data.phaseAt(step)]);
        for (int p = 0; p < perPhase.length; p++) {
            m.put("val_loss_phase" + p, perPhase[p]);
        }
        return m;
    }

    /** Mean loss over the first evalBatches batches of windows. */
    private double valLoss(ByteWindows windows) {
        double sum = 0;
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int k = 0; k < evalBatches; k++) {
                try (TensorScope batch = TensorScope.openHere()) {     // one batch's activations at a time
                    ByteWindows.Batch b = windows.batch(k);
                    sum += model.loss(b.inputs(), b.targets()).value().item();
                }
            }
        }
        return sum / evalBatches;
    }

    @Override
    public Optional<ShiftingStream<?>> shift() {
        return data.phases() > 1 ? Optional.of(data) : Optional.empty();
    }

    @Override
    public long itemsPerMicroBatch() {
        return (long) batch * model.config().context();
    }

    @Override
    public String unit() {
        return "tokens";
    }

    @Override
    public String finalReport() {
        byte[] prompt = "public static ".getBytes(StandardCharsets.UTF_8);
        byte[] sample = model.generate(prompt, 240, 0.8f, 1);
        return new String(prompt, StandardCharsets.UTF_8) + new String(sample, StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", "gpt");
        m.put("vocab", model.config().vocab());
        m.put("context", model.config().context());
        m.put("width", model.config().width());
        m.put("depth", model.config().depth());
        m.put("heads", model.config().heads());
        m.put("parameters", model.parameterCount());
        if (data.phases() == 1) {
            TextCorpus corpus = data.phase(0);
            m.put("data", corpus.name());
            m.put("train_bytes", corpus.train().length);
            m.put("val_bytes", corpus.validation().length);
            m.put("files", corpus.files());
        } else {
            m.put("data", data.name());
            m.put("shift_steps", data.shiftSteps());
            m.put("phases", data.describe());
        }
        m.put("batch", batch);
        m.put("eval_batches", evalBatches);
        return m;
    }
}
