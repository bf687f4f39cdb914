package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.RowKernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Embedding lookup (F.embedding) and its gradient. The forward gathers rows of the weight table; the backward
 * scatter-adds rows of dOut into a (V, C) gradient. The backward is deterministic: each vocabulary row sums its
 * contributions in order of position, whatever the thread count.
 */
public final class Embedding {
    /** Vocabulary rows per parallel chunk of the backward. */
    private static final int VOCAB_GRAIN = 64;

    private Embedding() {}

    /**
     * out[..., :] = weight[indices[...], :]. weight: (V, C) float32; indices: any shape, int32 or int64, each in
     * [0, V). Returns a new tensor of shape indices.shape + (C).
     *
     * @throws IllegalArgumentException naming the position and value of the first index outside [0, V)
     */
    public static Tensor embedding(Tensor weight, Tensor indices) {
        final String op = "embedding";
        Softmax.requireF32(op, "weight", weight);
        if (weight.rank() != 2) {
            throw new ShapeMismatchException(op, "weight: (V, C)", "weight=" + weight.describe(), null);
        }
        int vocab = weight.dim(0);
        int cols = weight.dim(1);
        long[] idx = readIndices(op, indices, vocab);
        int[] outShape = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        outShape[indices.rank()] = cols;
        Tensor out = Tensor.empty(DType.F32, outShape);
        try (Dense w = Dense.of(weight)) {
            MemorySegment os = out.segment();
            long bytes = (long) cols * Float.BYTES;
            Rows.forEach(idx.length, cols, (p, at) -> MemorySegment.copy(w.seg, (w.off + idx[p] * cols) * Float.BYTES,
                    os, at * Float.BYTES, bytes));
        }
        return out;
    }

    /**
     * dWeight[v, :] = sum over positions p with indices[p] == v of dOut[p, :], summed in increasing p.
     * dOut: indices.shape + (C) float32; indices: int32 or int64 in [0, vocab). Returns a new (vocab, C) tensor;
     * rows no index names are zero.
     */
    public static Tensor embeddingBackward(Tensor dOut, Tensor indices, int vocab) {
        final String op = "embeddingBackward";
        Softmax.requireF32(op, "dOut", dOut);
        if (vocab < 0) {
            throw new IllegalArgumentException(op + ": vocab must be >= 0; got " + vocab);
        }
        if (dOut.rank() != indices.rank() + 1
                || !Shape.same(Arrays.copyOf(dOut.shape(), indices.rank()), indices.shape())) {
            throw new ShapeMismatchException(op, "dOut: indices.shape + (C)", "dOut=" + Shape.str(dOut.shape())
                    + ", indices=" + Shape.str(indices.shape()), null);
        }
        int cols = dOut.dim(-1);
        long[] idx = readIndices(op, indices, vocab);
        // Counting sort of positions by index (stable), so each vocabulary row sees its positions in order.
        int[] start = new int[vocab + 1];
        for (long v : idx) {
            start[(int) v + 1]++;
        }
        for (int v = 0; v < vocab; v++) {
            start[v + 1] += start[v];
        }
        int[] order = new int[idx.length];
        int[] fill = Arrays.copyOf(start, vocab);
        for (int p = 0; p < idx.length; p++) {
            order[fill[(int) idx[p]]++] = p;
        }
        Tensor dW = Tensor.zeros(vocab, cols);
        try (Dense g = Dense.of(dOut)) {
            MemorySegment ws = dW.segment();
            Parallel.forRange(vocab, VOCAB_GRAIN, (v0, v1) -> {
                for (int v = v0; v < v1; v++) {
                    for (int k = start[v]; k < start[v + 1]; k++) {
                        RowKernels.addInPlace(g.seg, g.off + (long) order[k] * cols, ws, (long) v * cols, cols);
                    }
                }
            });
        }
        return dW;
    }

    private static long[] readIndices(String op, Tensor indices, int vocab) {
        if (indices.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": expected indices of dtype i32 or i64; got "
                    + indices.describe());
        }
        long[] idx = indices.toLongArray();
        for (int p = 0; p < idx.length; p++) {
            if (idx[p] < 0 || idx[p] >= vocab) {
                throw new IllegalArgumentException(op + ": index " + idx[p] + " at position " + p
                        + " (row-major in indices " + Shape.str(indices.shape()) + ") is out of range for a vocabulary"
                        + " of " + vocab + " rows (expected 0 to " + (vocab - 1) + ")");
            }
        }
        return idx;
    }
}
