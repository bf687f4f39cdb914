package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Causal;
import dev.tiller.tensor.kernel.Gemm;
import dev.tiller.tensor.kernel.RowKernels;

import java.lang.foreign.MemorySegment;

/**
 * Causal self-attention pieces, as F.scaled_dot_product_attention(q, k, v, is_causal=True): a fused
 * scale + causal mask + softmax, and a whole attention that saves its probabilities. Each (b, h) slice is two GEMMs
 * and T softmax rows; slices run in parallel with one slice per chunk, so results do not depend on the thread
 * count. The probabilities are materialised: memory is B*H*T*T floats (no flash-style tiling).
 */
public final class Attention {
    private Attention() {}

    /** Attention output out: (B, H, T, hs) and the saved probabilities probs: (B, H, T, T). */
    public record AttentionResult(Tensor out, Tensor probs) {}

    /** Attention gradients, each (B, H, T, hs). */
    public record AttentionGrads(Tensor dQ, Tensor dK, Tensor dV) {}

    /**
     * probs[..., i, j] = softmax_j(scale * scores[..., i, j]) over j <= i, and 0 for j > i (the masked logits are
     * -infinity, so exp gives exactly 0). scores: (B, H, T, T) float32 (any rank >= 2 ending in (T, T) works);
     * scale > 0. Returns a new tensor of the same shape.
     */
    public static Tensor causalSoftmax(Tensor scores, float scale) {
        final String op = "causalSoftmax";
        int t = requireSquare(op, "scores", scores);
        requireScale(op, scale);
        try (Dense sd = Dense.of(scores)) {
            Tensor probs = Tensor.empty(DType.F32, scores.shape());
            int rows = t == 0 ? 0 : (int) (scores.numel() / t);
            MemorySegment ps = probs.segment();
            Rows.forEach(rows, t, (r, at) -> causalRow(sd.seg, sd.off + at, ps, at, r % t, t, scale));
            return probs;
        }
    }

    /**
     * Gradient of {@link #causalSoftmax}: dScores[..., i, j] = scale * p_ij * (dProbs_ij - sum_{k <= i} dProbs_ik
     * p_ik) for j <= i and 0 for j > i. probs, dProbs: same shape (..., T, T) float32.
     */
    public static Tensor causalSoftmaxBackward(Tensor probs, Tensor dProbs, float scale) {
        final String op = "causalSoftmaxBackward";
        int t = requireSquare(op, "probs", probs);
        requireScale(op, scale);
        Softmax.requireF32(op, "dProbs", dProbs);
        if (!Shape.same(probs.shape(), dProbs.shape())) {
            throw new ShapeMismatchException(op, "probs and dProbs of equal shape", "probs="
                    + Shape.str(probs.shape()) + ", dProbs=" + Shape.str(dProbs.shape()), null);
        }
        try (Dense pd = Dense.of(probs); Dense gd = Dense.of(dProbs)) {
            Tensor dS = Tensor.empty(DType.F32, probs.shape());
            int rows = t == 0 ? 0 : (int) (probs.numel() / t);
            MemorySegment ds = dS.segment();
            Rows.forEach(rows, t, (r, at) -> causalRowBackward(pd.seg, pd.off + at, gd.seg, gd.off + at, ds, at, r % t,
                    t, scale));
            return dS;
        }
    }

    /**
     * out = causalSoftmax(q k^T, 1/sqrt(hs)) v per (b, h). q, k, v: (B, H, T, hs) float32 with hs >= 1.
     * Returns out: (B, H, T, hs) and probs: (B, H, T, T) for the backward.
     */
    public static AttentionResult causalAttention(Tensor q, Tensor k, Tensor v) {
        final String op = "causalAttention";
        requireQkv(op, q, k, v);
        int heads = q.dim(1);
        int t = q.dim(2);
        int hs = q.dim(3);
        Tensor qc = q.contiguous();
        Tensor kc = k.contiguous();
        Tensor vc = v.contiguous();
        Tensor probs = Tensor.empty(DType.F32, q.dim(0), heads, t, t);
        Tensor out = Tensor.empty(DType.F32, q.shape());
        forward(q.dim(0), heads, t, hs, split(qc, heads, t, hs), split(kc, heads, t, hs), split(vc, heads, t, hs),
                probs, split(out, heads, t, hs));
        Dense.closeCopy(qc, q);
        Dense.closeCopy(kc, k);
        Dense.closeCopy(vc, v);
        return new AttentionResult(out, probs);
    }

    /**
     * {@link #causalAttention} on the fused projection qkv: (B, T, 3C) float32, each row [q | k | v] with head h at
     * columns h hs..(h+1) hs of its third (hs = C / heads), as a GPT's qkv linear layer makes it. Returns out:
     * (B, T, C), the heads side by side (what the output projection takes), and probs: (B, H, T, T). The GEMMs read
     * and write the heads in place with row strides 3C and C, so the heads are never split into (B, H, T, hs)
     * copies and joined again; same products, same bits as splitting, attending and joining.
     */
    public static AttentionResult causalSelfAttention(Tensor qkv, int heads) {
        final String op = "causalSelfAttention";
        int c = requirePacked(op, qkv, heads);
        int b = qkv.dim(0);
        int t = qkv.dim(1);
        int hs = c / heads;
        Tensor xc = qkv.contiguous();
        Tensor probs = Tensor.empty(DType.F32, b, heads, t, t);
        Tensor out = Tensor.empty(DType.F32, b, t, c);
        forward(b, heads, t, hs, packed(xc, 0, heads, t, hs, 3 * c), packed(xc, c, heads, t, hs, 3 * c),
                packed(xc, 2 * c, heads, t, hs, 3 * c), probs, packed(out, 0, heads, t, hs, c));
        Dense.closeCopy(xc, qkv);
        return new AttentionResult(out, probs);
    }

    /**
     * Gradients of {@link #causalAttention}. dOut, q, k, v: (B, H, T, hs); probs: (B, H, T, T) as saved. Per slice:
     * dV = probs^T dOut, dProbs = dOut v^T, dScores = causalSoftmaxBackward(probs, dProbs, 1/sqrt(hs)),
     * dQ = dScores k, dK = dScores^T q.
     */
    public static AttentionGrads causalAttentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor probs) {
        final String op = "causalAttentionBackward";
        requireQkv(op, q, k, v);
        Softmax.requireF32(op, "dOut", dOut);
        Softmax.requireF32(op, "probs", probs);
        int heads = q.dim(1);
        int t = q.dim(2);
        int hs = q.dim(3);
        if (!Shape.same(dOut.shape(), q.shape())
                || !Shape.same(probs.shape(), new int[] {q.dim(0), heads, t, t})) {
            throw new ShapeMismatchException(op, "dOut: (B, H, T, hs) like q, probs: (B, H, T, T)", "q="
                    + Shape.str(q.shape()) + ", dOut=" + Shape.str(dOut.shape()) + ", probs="
                    + Shape.str(probs.shape()), null);
        }
        Tensor qc = q.contiguous();
        Tensor kc = k.contiguous();
        Tensor vc = v.contiguous();
        Tensor gc = dOut.contiguous();
        Tensor dQ = Tensor.empty(DType.F32, q.shape());
        Tensor dK = Tensor.empty(DType.F32, q.shape());
        Tensor dV = Tensor.empty(DType.F32, q.shape());
        backward(q.dim(0), heads, t, hs, split(gc, heads, t, hs), split(qc, heads, t, hs), split(kc, heads, t, hs),
                split(vc, heads, t, hs), probs, split(dQ, heads, t, hs), split(dK, heads, t, hs),
                split(dV, heads, t, hs));
        Dense.closeCopy(qc, q);
        Dense.closeCopy(kc, k);
        Dense.closeCopy(vc, v);
        Dense.closeCopy(gc, dOut);
        return new AttentionGrads(dQ, dK, dV);
    }

    /**
     * Gradient of {@link #causalSelfAttention} with respect to qkv: dOut (B, T, C), qkv (B, T, 3C) and probs
     * (B, H, T, T) as saved -> dQkv (B, T, 3C), each head's dQ, dK and dV written where its q, k and v sat.
     */
    public static Tensor causalSelfAttentionBackward(Tensor dOut, Tensor qkv, Tensor probs, int heads) {
        final String op = "causalSelfAttentionBackward";
        int c = requirePacked(op, qkv, heads);
        int b = qkv.dim(0);
        int t = qkv.dim(1);
        int hs = c / heads;
        Softmax.requireF32(op, "dOut", dOut);
        Softmax.requireF32(op, "probs", probs);
        if (!Shape.same(dOut.shape(), new int[] {b, t, c}) || !Shape.same(probs.shape(), new int[] {b, heads, t, t})) {
            throw new ShapeMismatchException(op, "dOut: (B, T, C), probs: (B, H, T, T) for qkv (B, T, 3C)", "qkv="
                    + Shape.str(qkv.shape()) + ", dOut=" + Shape.str(dOut.shape()) + ", probs="
                    + Shape.str(probs.shape()) + ", heads=" + heads, null);
        }
        Tensor xc = qkv.contiguous();
        Tensor gc = dOut.contiguous();
        Tensor dQkv = Tensor.empty(DType.F32, b, t, 3 * c);
        backward(b, heads, t, hs, packed(gc, 0, heads, t, hs, c), packed(xc, 0, heads, t, hs, 3 * c),
                packed(xc, c, heads, t, hs, 3 * c), packed(xc, 2 * c, heads, t, hs, 3 * c), probs,
                packed(dQkv, 0, heads, t, hs, 3 * c), packed(dQkv, c, heads, t, hs, 3 * c),
                packed(dQkv, 2 * c, heads, t, hs, 3 * c));
        Dense.closeCopy(xc, qkv);
        Dense.closeCopy(gc, dOut);
        return dQkv;
    }

    /**
     * Where slice s = b H + h of a (T, hs) operand lives: rows ld floats apart from base + b * batch + h * head in
     * seg. Contiguous (B, H, T, hs): batch = H T hs, head = T hs, ld = hs. Packed (B, T, W) with the head's columns
     * at col + h hs: batch = T W, head = hs, ld = W.
     */
    private record Heads(MemorySegment seg, long base, long batch, long head, int ld, int heads) {
        long at(int s) {
            return base + (s / heads) * batch + (s % heads) * head;
        }
    }

    private static Heads split(Tensor x, int heads, int t, int hs) {
        return new Heads(x.segment(), x.offset(), (long) heads * t * hs, (long) t * hs, hs, heads);
    }

    private static Heads packed(Tensor x, int col, int heads, int t, int hs, int width) {
        return new Heads(x.segment(), x.offset() + col, (long) t * width, hs, width, heads);
    }

    private static void forward(int b, int heads, int t, int hs, Heads q, Heads k, Heads v, Tensor probs, Heads out) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        MemorySegment ps = probs.segment();
        long tt = (long) t * t;
        Parallel.forRange(b * heads, 1, (s0, s1) -> {
            for (int s = s0; s < s1; s++) {
                long pOff = s * tt;
                // scores = q k^T: (T, hs) (hs, T) -> (T, T), written into probs and normalised in place; only
                // the lower triangle is computed, and causalRow zeroes the rest
                Gemm.sgemmCausal(Causal.LOWER_C, false, true, t, t, hs, 1f, q.seg(), q.at(s), q.ld(), k.seg(),
                        k.at(s), k.ld(), 0f, ps, pOff, t);
                for (int i = 0; i < t; i++) {
                    causalRow(ps, pOff + (long) i * t, ps, pOff + (long) i * t, i, t, scale);
                }
                // out = probs v: (T, T) (T, hs) -> (T, hs); row i of probs is zero past column i
                Gemm.sgemmCausal(Causal.LOWER_A, false, false, t, hs, t, 1f, ps, pOff, t, v.seg(), v.at(s), v.ld(),
                        0f, out.seg(), out.at(s), out.ld());
            }
        });
    }

    private static void backward(int b, int heads, int t, int hs, Heads g, Heads q, Heads k, Heads v, Tensor probs,
                                 Heads dq, Heads dk, Heads dv) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        Tensor pc = probs.contiguous();
        Tensor dS = Tensor.empty(DType.F32, pc.shape());      // (B, H, T, T) scratch: dProbs, then dScores
        MemorySegment ps = pc.segment();
        MemorySegment dss = dS.segment();
        long p0 = pc.offset();
        long tt = (long) t * t;
        Parallel.forRange(b * heads, 1, (s0, s1) -> {
            for (int s = s0; s < s1; s++) {
                long sOff = s * tt;
                // dV = probs^T dOut: (T, T)^T (T, hs) -> (T, hs); row j of probs^T is zero before column j
                Gemm.sgemmCausal(Causal.UPPER_A, true, false, t, hs, t, 1f, ps, p0 + sOff, t, g.seg(), g.at(s),
                        g.ld(), 0f, dv.seg(), dv.at(s), dv.ld());
                // dProbs = dOut v^T: (T, hs) (hs, T) -> (T, T), only the lower triangle, which is all that
                // causalRowBackward reads
                Gemm.sgemmCausal(Causal.LOWER_C, false, true, t, t, hs, 1f, g.seg(), g.at(s), g.ld(), v.seg(),
                        v.at(s), v.ld(), 0f, dss, sOff, t);
                for (int i = 0; i < t; i++) {
                    long o = sOff + (long) i * t;
                    causalRowBackward(ps, p0 + o, dss, o, dss, o, i, t, scale);
                }
                // dQ = dScores k: (T, T) (T, hs) -> (T, hs); dK = dScores^T q (dScores is lower triangular)
                Gemm.sgemmCausal(Causal.LOWER_A, false, false, t, hs, t, 1f, dss, sOff, t, k.seg(), k.at(s), k.ld(),
                        0f, dq.seg(), dq.at(s), dq.ld());
                Gemm.sgemmCausal(Causal.UPPER_A, true, false, t, hs, t, 1f, dss, sOff, t, q.seg(), q.at(s), q.ld(),
                        0f, dk.seg(), dk.at(s), dk.ld());
            }
        });
        dS.close();
        Dense.closeCopy(pc, probs);
    }

    /** Row i of a (T, T) block: softmax over columns 0..i, zeros after. y may alias x exactly. */
    private static void causalRow(MemorySegment x, long xOff, MemorySegment y, long yOff, int i, int t, float scale) {
        RowKernels.softmax(x, xOff, y, yOff, i + 1, scale);
        y.asSlice((yOff + i + 1) * Float.BYTES, (long) (t - i - 1) * Float.BYTES).fill((byte) 0);
    }

    private static void causalRowBackward(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment d,
                                          long dOff, int i, int t, float scale) {
        RowKernels.softmaxBackward(p, pOff, g, gOff, d, dOff, i + 1, scale);
        d.asSlice((dOff + i + 1) * Float.BYTES, (long) (t - i - 1) * Float.BYTES).fill((byte) 0);
    }

    private static int requireSquare(String op, String name, Tensor s) {
        Softmax.requireF32(op, name, s);
        if (s.rank() < 2 || s.dim(-1) != s.dim(-2)) {
            throw new ShapeMismatchException(op, name + ": (B, H, T, T)", name + "=" + s.describe(), null);
        }
        return s.dim(-1);
    }

    private static void requireScale(String op, float scale) {
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException(op + ": scale must be positive and finite; got " + scale);
        }
    }

    /** qkv (B, T, 3C) float32 with C a positive multiple of heads; returns C. */
    private static int requirePacked(String op, Tensor qkv, int heads) {
        Softmax.requireF32(op, "qkv", qkv);
        if (heads < 1) {
            throw new IllegalArgumentException(op + ": heads must be >= 1; got " + heads);
        }
        if (qkv.rank() != 3 || qkv.dim(2) == 0 || qkv.dim(2) % (3 * heads) != 0) {
            throw new ShapeMismatchException(op, "qkv: (B, T, 3C) with C a multiple of heads = " + heads,
                    "qkv=" + qkv.describe(), null);
        }
        return qkv.dim(2) / 3;
    }

    private static void requireQkv(String op, Tensor q, Tensor k, Tensor v) {
        Softmax.requireF32(op, "q", q);
        Softmax.requireF32(op, "k", k);
        Softmax.requireF32(op, "v", v);
        if (q.rank() != 4 || !Shape.same(q.shape(), k.shape()) || !Shape.same(q.shape(), v.shape())) {
            throw new ShapeMismatchException(op, "q, k, v all (B, H, T, hs)", "q=" + Shape.str(q.shape()) + ", k="
                    + Shape.str(k.shape()) + ", v=" + Shape.str(v.shape()),
                    q.rank() == 3 ? "split heads: reshape (B, T, C) to (B, T, H, hs) and transpose(1, 2)" : null);
        }
        if (q.dim(3) < 1) {
            throw new IllegalArgumentException(op + ": head size hs must be >= 1; got q=" + q.describe());
        }
    }
}
