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
}
