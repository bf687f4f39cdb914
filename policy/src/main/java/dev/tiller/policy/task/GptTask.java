package dev.tiller.policy.task;

import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ByteWindows;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Module;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Byte-level language modelling: the GPT on a text corpus. Training batches are random windows of the training
 * split keyed by (seed, step, micro); validation loss is the mean over evalBatches fixed random windows of the
 * validation split (the WORKLOADS.md quality anchor uses 32 batches of 16 x 128).
 */
public final class GptTask implements Task {
    private static final int MAX_MICRO = 1 << 16;
    private final TextCorpus corpus;
    private final Gpt model;
    private final ByteWindows train;
    private final ByteWindows val;
    private final int batch;
    private final int evalBatches;

    public GptTask(TextCorpus corpus, GptConfig config, int batch, long seed, int evalBatches) {
        this.corpus = corpus;
        this.model = new Gpt(config, seed);
        this.batch = batch;
        this.evalBatches = evalBatches;
        this.train = new ByteWindows(corpus.train(), batch, config.context(), seed, 1);
        this.val = new ByteWindows(corpus.validation(), batch, config.context(), seed, 2);
    }

    @Override
    public String name() {
        return "gpt-" + corpus.name().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Variable trainLoss(long step, int micro) {
        ByteWindows.Batch b = train.batch(step * MAX_MICRO + micro);
        return model.loss(b.inputs(), b.targets());
    }

    @Override
    public Map<String, Double> evaluate() {
        double sum = 0;
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int k = 0; k < evalBatches; k++) {
                ByteWindows.Batch b = val.batch(k);
                sum += model.loss(b.inputs(), b.targets()).value().item();
            }
        }
        return Map.of("val_loss", sum / evalBatches);
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
        m.put("data", corpus.name());
        m.put("train_bytes", corpus.train().length);
        m.put("val_bytes", corpus.validation().length);
        m.put("files", corpus.files());
        m.put("batch", batch);
        m.put("eval_batches", evalBatches);
        return m;
    }
}
