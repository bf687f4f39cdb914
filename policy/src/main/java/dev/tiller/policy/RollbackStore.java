package dev.tiller.policy;

import dev.tiller.policy.state.RunSnapshot;
import dev.tiller.tensor.Tensor;

import java.util.Map;

/**
 * The rollback ring as the trainer calls it: put snapshots everything a restore must bring back (parameters,
 * optimizer, clipper, loss scaler, module buffers and RNG counters) under the step index it was taken after; restore
 * puts it all back. The step counter and the data cursor are not restored: they keep moving forward, so the batches
 * since the snapshot are skipped.
 */
public interface RollbackStore extends AutoCloseable {
    /** Snapshots the run after step (0-based) under that index; the oldest snapshot goes when the ring is full. */
    void put(long step);

    /** Restores the snapshot taken after step; false when the ring holds none (nothing is changed then). */
    boolean restore(long step);

    /** Bytes the ring holds now. */
    long bytes();

    /**
     * The parameters of the newest snapshot by name (the anchor of a pull toward pre-shift weights), or empty when
     * the ring holds none; the caller copies them.
     */
    default Map<String, Tensor> newestParameters() {
        return Map.of();
    }

    /** The steps of the snapshots held, oldest first (a checkpoint saves them all). */
    default long[] heldSteps() {
        return new long[0];
    }

    /** The snapshot held under step (owned by the store; read it, never close it). */
    default RunSnapshot held(long step) {
        throw new IllegalArgumentException("no snapshot is held under step " + step);
    }

    /** One line on the ring's memory, e.g. "rollback ring: 3 snapshots x 12.3 MB = 36.9 MB". */
    default String describe() {
        return "rollback ring: " + bytes() + " bytes";
    }

    /** Frees the snapshots' memory. */
    @Override
    default void close() {}

    /** A ring that holds nothing: every restore fails. */
    static RollbackStore none() {
        return new RollbackStore() {
            @Override
            public void put(long step) {}

            @Override
            public boolean restore(long step) {
                return false;
            }

            @Override
            public long bytes() {
                return 0;
            }
        };
    }
}
