package dev.tiller.bench;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ConvNet;
import dev.tiller.models.arch.Mlp;
import dev.tiller.autograd.OpTimes;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The reference training steps, each as the PyTorch peer's train_step: zero the gradients, cross-entropy of the
 * model's output against random targets, backward, one AdamW step. Inputs are fixed random tensors. Each step runs in
 * a TensorScope over one TensorPool; besides the time, each workload reports heap and off-heap bytes allocated per
 * step after warm-up (off-heap: new pool reservations, 0 once the pool is warm).
 */
final class TrainStepWorkloads {
    private TrainStepWorkloads() {}

    /** MLP 784-1024-1024-10, ReLU, batch 256, AdamW lr 1e-3. */
    static void mlp(Main.Report out) {
        Mlp m = new Mlp(new Init(0), 784, new int[] {1024, 1024}, 10, Activation.RELU);
        Tensor x = Tensor.normal(0, 1, 0f, 1f, 256, 784);
        Tensor y = targets(256, 10);
        report(out, "mlp", step(m, () -> F.crossEntropy(m.forward(Variable.constant(x)), y), 1e-3f), 3, 10, 0);
    }

    /** The convnet on 3x32x32, batch 64, AdamW lr 1e-3. */
    static void convnet(Main.Report out) {
        ConvNet m = new ConvNet(new Init(0), 3, 32, 32, 10, 1.0);
        Tensor x = Tensor.normal(0, 2, 0f, 1f, 64, 3, 32, 32);
        Tensor y = targets(64, 10);
        report(out, "convnet", step(m, () -> F.crossEntropy(m.forward(Variable.constant(x)), y), 1e-3f), 3, 10, 0);
    }

    /** The reference GPT (GptConfig.reference(), width 256), batch 16 x 128, AdamW lr 3e-4 (as the peer). */
    static void gpt(Main.Report out) {
        gpt(out, "gpt", GptConfig.reference(), 3e-4f, 2, 5);
    }

    /**
     * The reference GPT at width 512 ({@link #gptAtWidth}), AdamW lr 3e-4: gpt_d512_step_s, about 1 s a step on
     * 2 cores, so 2 warm-up steps (StepTimer's rules add more until the JIT is quiet) and the median of 5.
     */
    static void gptD512(Main.Report out) {
        gpt(out, "gpt_d512", gptAtWidth(512), 3e-4f, 2, 5);
    }

    /**
     * The reference GPT at width 1024 ({@link #gptAtWidth}), AdamW lr 3e-4: gpt_d1024_step_s, several seconds a
     * step on 2 cores, so 2 warm-up steps (StepTimer's rules add more until the JIT is quiet) and the median of 3.
     */
    static void gptD1024(Main.Report out) {
        gpt(out, "gpt_d1024", gptAtWidth(1024), 3e-4f, 2, 3);
    }

    /**
     * The reference GPT with its width set to width and one head per 64 channels, the reference's head size (512: 8
     * heads, 1024: 16); vocab, context, depth and the rest as the reference.
     */
    static GptConfig gptAtWidth(int width) {
        GptConfig r = GptConfig.reference();
        int headSize = r.width() / r.heads();
        return new GptConfig(r.vocab(), r.context(), width, r.depth(), width / headSize, r.dropout());
    }

    /** One GPT training step on batch 16 x 128 of fixed random bytes, reported under the key prefix name. */
    private static void gpt(Main.Report out, String name, GptConfig config, float lr, int warm, int n) {
        Gpt m = new Gpt(config, 0);
        int[] ids = new int[16 * 128];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Philox.below(0, 3, i, config.vocab());
        }
        Tensor idx = Tensor.ofInts(ids, 16, 128);
        Tensor y = targets(16 * 128, config.vocab()).reshape(16, 128);
        report(out, name, step(m, () -> m.loss(idx, y), lr), warm, n, 16 * 128);
    }

    private static Tensor targets(int n, int classes) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = Philox.below(0, 4, i, classes);
        }
        return Tensor.ofInts(t, n);
    }

    private static StepTimer.Step step(Module model, Supplier<Variable> loss, float lr) {
        List<ParamRef> params = new ArrayList<>();
        model.namedParameters().forEach((name, v) -> params.add(ParamRef.of(name, v)));
        AdamW opt = new AdamW(params);
        AdamWHyper h = AdamWHyper.defaults().withLr(lr);
        TensorPool pool = new TensorPool();
        return new StepTimer.Step() {
            @Override
            public void run() {
                try (TensorScope scope = TensorScope.open(pool)) {
                    for (ParamRef p : params) {
                        p.clearGrad();          // the peer's zero_grad(set_to_none=True)
                    }
                    loss.get().backward();
                    for (ParamRef p : params) {
                        p.settleGrad();
                    }
                    long t1 = OpTimes.ENABLED ? System.nanoTime() : 0;
                    opt.step(h);
                    if (OpTimes.ENABLED) {
                        OpTimes.record("optimizer step", System.nanoTime() - t1);
                    }
                }
            }

            @Override
            public long offHeapReserved() {
                return pool.reservedBytes();
            }
        };
    }

    private static void report(Main.Report out, String name, StepTimer.Step step, int warm, int n, int tokens) {
        StepTimer.Result r = StepTimer.time(step, warm, n);
        out.put(name + "_step_s", r.medianSeconds());
        if (tokens > 0) {
            out.put(name + "_tokens_per_s", tokens / r.medianSeconds());
        }
        out.put(name + "_heap_bytes_per_step", r.heapBytesPerStep());
        out.put(name + "_offheap_bytes_per_step", r.offHeapBytesPerStep());
    }
}
