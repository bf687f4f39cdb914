package dev.tiller.policy.state;

/**
 * A component that carries state across steps (optimizer, clipper, loss scaler, module buffers and RNG counters, data
 * cursor, schedules, controllers). A snapshot is a deep copy that later steps never change, and restoring it puts the
 * component back bit for bit, so a run snapshotted at step k and restored replays steps k+1.. identically.
 *
 * @param <S> the snapshot type; immutable, or never mutated after {@link #snapshot()} returns it
 */
public interface Stateful<S> {
    /** A copy of the current state, independent of everything this component does afterwards. */
    S snapshot();

    /** Puts the component back to the state snapshot was taken in; the snapshot stays usable for further restores. */
    void restore(S snapshot);

    /** Bytes the snapshot holds (off-heap copies included), for the bounded rollback ring. */
    default long snapshotBytes(S snapshot) {
        return 0;
    }

    /**
     * A snapshot of the current state that may reuse the memory of reuse, an older snapshot of this component that
     * nobody reads any more (null: none). reuse is consumed: its memory is either reused by the result or freed
     * (closed, when it is {@link AutoCloseable}), and it must not be used afterwards. Lets a ring of snapshots recycle
     * its off-heap copies instead of allocating new ones for every snapshot.
     */
    default S snapshotInto(S reuse) {
        S s = snapshot();
        if (reuse != s && reuse instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("freeing a recycled snapshot failed: " + e.getMessage(), e);
            }
        }
        return s;
    }

    /** Bytes a snapshot of the current state would hold: what the rollback ring reports before it holds any. */
    default long stateBytes() {
        return 0;
    }
}
