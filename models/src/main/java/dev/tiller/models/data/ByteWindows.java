package dev.tiller.models.data;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

/**
 * Random windows of a byte sequence for next-byte prediction: batch k holds B windows of T + 1 bytes whose start
 * positions are Philox.below(seed, stream, k * B + b, len - T); inputs are bytes [p, p + T), targets [p + 1, p + T].
 * The batch for any k is recomputable, so the data position is just k: restoring a run restores its data order.
 */
public final class ByteWindows {
    private final byte[] data;
    private final int batch;
    private final int context;
    private final long seed;
    private final long stream;

    /** A batch: inputs and targets (B, T) int32. */
    public record Batch(Tensor inputs, Tensor targets) {}

    public ByteWindows(byte[] data, int batch, int context, long seed, long stream) {
        if (data.length <= context + 1) {
            throw new IllegalArgumentException("ByteWindows: " + data.length + " bytes are too few for windows of "
                    + (context + 1));
        }
        if (batch < 1 || context < 1) {
            throw new IllegalArgumentException("ByteWindows: batch and context must be >= 1, got " + batch + ", "
                    + context);
        }
        this.data = data;
        this.batch = batch;
        this.context = context;
        this.seed = seed;
        this.stream = stream;
    }

    /** The k-th batch. */
    public Batch batch(long k) {
        int[] in = new int[batch * context];
        int[] tg = new int[batch * context];
        int bound = data.length - context;
        for (int b = 0; b < batch; b++) {
            int p = Philox.below(seed, stream, k * batch + b, bound);
            for (int i = 0; i < context; i++) {
                in[b * context + i] = data[p + i] & 0xff;
                tg[b * context + i] = data[p + i + 1] & 0xff;
            }
        }
        return new Batch(Tensor.ofInts(in, batch, context), Tensor.ofInts(tg, batch, context));
    }
}
