package dev.tiller.models.gpt;

import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Dropout;
import dev.tiller.models.nn.Embedding;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.LayerNorm;
import dev.tiller.models.nn.Linear;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decoder-only transformer, as the GPT of docs/workloads.md: token and learned position embeddings, pre-LayerNorm
 * blocks of causal multi-head attention and a GELU MLP of 4x width, a final LayerNorm and an untied head without bias.
 * idx (B, T) int -> logits (B, T, V). Initialisation: PyTorch's module defaults.
 */
public final class Gpt extends Module {
    private final GptConfig config;
    private final Embedding tok;
    private final Embedding pos;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm lnF;
    private final Linear head;
    private final Dropout drop;

    public Gpt(GptConfig config, long seed) {
        this.config = config;
        Init init = new Init(seed);
        this.tok = child("tok", new Embedding(init, config.vocab(), config.width()));
        this.pos = child("pos", new Embedding(init, config.context(), config.width()));
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(child("blocks." + i, new Block(init, config.width(), config.heads())));
        }
        this.lnF = child("ln_f", new LayerNorm(init, config.width()));
        this.head = child("head", new Linear(init, config.width(), config.vocab(), false));
        // embedding dropout, masks keyed by (seed, stream 0x0D20, counter); a child, so snapshots find its counter
        this.drop = child("drop", new Dropout(config.dropout(), seed, 0x0D20));
    }

    public GptConfig config() {
        return config;
    }

    /** idx (B, T) i32/i64 with T <= context -> logits (B, T, V). */
    public Variable forward(Tensor idx) {
        if (idx.rank() != 2) {
            throw new IllegalArgumentException("Gpt.forward: idx must be (B, T), got " + idx.describe());
        }
        int t = idx.dim(1);
        if (t > config.context()) {
            throw new IllegalArgumentException("Gpt.forward: sequence length " + t + " exceeds the context "
                    + config.context());
        }
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) {
            positions[i] = i;
        }
        Variable x = F.add(tok.forward(idx), pos.forward(Tensor.ofInts(positions, t)));   // (B,T,C) + (T,C)
        x = drop.forward(x);
        for (Block b : blocks) {
            x = b.forward(x);
        }
        return head.forward(lnF.forward(x));
    }

    /** Mean cross-entropy of the next-token logits against targets (B, T). */
    public Variable loss(Tensor idx, Tensor targets) {
        Variable logits = forward(idx);
        int b = idx.dim(0);
        int t = idx.dim(1);
        return F.crossEntropy(F.reshape(logits, b * t, config.vocab()), targets.reshape(b * t));
    }

    /** Pre-LN block: x + attn(ln1(x)), then x + mlp(ln2(x)). */
    static final class Block extends Module {
        private final LayerNorm ln1;
        private final LayerNorm ln2;
        private final Linear qkv;
        private final Linear proj;
        private final Linear fc;
        private final Linear out;
        private final int heads;

        Block(Init init, int width, int heads) {
            this.heads = heads;
            this.ln1 = child("ln1", new LayerNorm(init, width));
            this.qkv = child("attn.qkv", new Linear(init, width, 3 * width, true));
            this.proj = child("attn.proj", new Linear(init, width, width, true));
            this.ln2 = child("ln2", new LayerNorm(init, width));
            this.fc = child("mlp.fc", new Linear(init, width, 4 * width, true));
            this.out = child("mlp.out", new Linear(init, 4 * width, width, true));
        }

        Variable forward(Variable x) {
            // qkv (B, T, 3C): [q | k | v], head h at columns h hs..(h+1) hs of each; attended in place -> (B, T, C)
            Variable y = F.causalSelfAttention(qkv.forward(ln1.forward(x)), heads);
            x = F.add(x, proj.forward(y));
            return F.add(x, out.forward(F.gelu(fc.forward(ln2.forward(x)), false)));
        }
    }

    /** Samples n bytes after prompt with temperature (0 = greedy), keyed by (seed, stream 0x5A, counter). */
    public byte[] generate(byte[] prompt, int n, float temperature, long sampleSeed) {
        boolean was = isTraining();
        train(false);
        byte[] out = new byte[n];
        int[] ctx = new int[prompt.length + n];
        for (int i = 0; i < prompt.length; i++) {
            ctx[i] = prompt[i] & 0xff;
        }
        int len = prompt.length;
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int k = 0; k < n; k++) {
                int start = Math.max(0, len - config.context());
                int[] window = Arrays.copyOfRange(ctx, start, len);
                Variable logits = forward(Tensor.ofInts(window, 1, window.length));
                float[] last = logits.value().select(1, window.length - 1).reshape(-1).toFloatArray();
                int next = sample(last, temperature, sampleSeed, k);
                ctx[len++] = next;
                out[k] = (byte) next;
            }
        } finally {
            train(was);
        }
        return out;
    }

    private static int sample(float[] logits, float temperature, long seed, long k) {
        int argmax = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[argmax]) {
                argmax = i;
            }
        }
        if (temperature <= 0f) {
            return argmax;
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = StrictMath.exp((logits[i] - logits[argmax]) / temperature);
            sum += p[i];
        }
        double u = Philox.uniform(seed, 0x5A, k) * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return argmax;
    }
}
