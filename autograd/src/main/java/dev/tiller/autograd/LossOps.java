package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Attention;
import dev.tiller.tensor.op.Embedding;
import dev.tiller.tensor.op.Softmax;

/** Softmax family, losses, embedding lookup and causal attention: fused kernels with their own backward. */
final class LossOps {
    private LossOps() {}

    /** y = softmax(x, dim); dX = y * (dY - sum(dY * y)). */
    static final class SoftmaxOp implements Op {
        private final int dim;
        private final boolean log;

        SoftmaxOp(int dim, boolean log) {
            this.dim = dim;
            this.log = log;
        }

        @Override
        public String name() {
            return log ? "log_softmax" : "softmax";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Tensor y = log ? Softmax.logSoftmax(in[0], dim) : Softmax.softmax(in[0], dim);
            saved.keep(y);
            return y;
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor y = saved.tensor(0);
            Tensor dx = log ? Softmax.logSoftmaxBackward(y, dOut, dim) : Softmax.softmaxBackward(y, dOut, dim);
            return new Tensor[] {dx};
        }
    }

    /**
     * Mean cross-entropy of logits (N, C) against integer targets (N), with PyTorch's label smoothing and
     * ignore_index. The output is a scalar; dLogits = (softmax - smoothed one-hot) / count, scaled by dOut.
     */
    static final class CrossEntropy implements Op {
        private final float labelSmoothing;
        private final long ignoreIndex;

        CrossEntropy(float labelSmoothing, long ignoreIndex) {
            this.labelSmoothing = labelSmoothing;
            this.ignoreIndex = ignoreIndex;
        }

        @Override
        public String name() {
            return "cross_entropy";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Softmax.CrossEntropyResult r = Softmax.crossEntropy(in[0], in[1], labelSmoothing, ignoreIndex);
            saved.keep(in[0], in[1], r);
            return r.loss();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor dLogits = Softmax.crossEntropyBackward(saved.tensor(0), saved.tensor(1),
                    (Softmax.CrossEntropyResult) saved.get(2), dOut.item());
            return new Tensor[] {dLogits, null};
        }
    }

    /** Rows of weight (V, C) picked by integer indices (any shape) -> (..., C); dWeight is a scatter-add. */
    static final class EmbeddingOp implements Op {
        @Override
        public String name() {
            return "embedding";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[1], in[0].dim(0));
            return Embedding.embedding(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Embedding.embeddingBackward(dOut, saved.tensor(0), (Integer) saved.get(1)), null};
        }
    }

    /**
     * Causal scaled dot-product attention, scale 1/sqrt(hs): q, k, v (B, H, T, hs) -> (B, H, T, hs). Saves the
     * attention probabilities (B, H, T, T) for backward.
     */
    static final class CausalAttention implements Op {
        @Override
        public String name() {
            return "scaled_dot_product_attention";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Attention.AttentionResult r = Attention.causalAttention(in[0], in[1], in[2]);
            saved.keep(in[0], in[1], in[2], r.probs());
            return r.out();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Attention.AttentionGrads g = Attention.causalAttentionBackward(dOut, saved.tensor(0), saved.tensor(1),
                    saved.tensor(2), saved.tensor(3));
            return new Tensor[] {g.dQ(), g.dK(), g.dV()};
        }
    }

    /**
     * Causal self-attention on a fused projection: qkv (B, T, 3C) -> (B, T, C), as the composition of splitting
     * [q | k | v] into heads (B, H, T, C / H), {@link CausalAttention}, and joining the heads again, with the same
     * bits, minus the copies (Attention.causalSelfAttention). Saves qkv and the probabilities (B, H, T, T).
     */
    static final class CausalSelfAttention implements Op {
        private final int heads;

        CausalSelfAttention(int heads) {
            this.heads = heads;
        }

        @Override
        public String name() {
            return "causal_self_attention";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Attention.AttentionResult r = Attention.causalSelfAttention(in[0], heads);
            saved.keep(in[0], r.probs());
            return r.out();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Attention.causalSelfAttentionBackward(dOut, saved.tensor(0), saved.tensor(1), heads)};
        }
    }
}
