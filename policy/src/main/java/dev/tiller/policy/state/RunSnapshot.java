package dev.tiller.policy.state;

import dev.tiller.optim.clip.DynamicLossScaler;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Everything a run carries at one point, as {@link RunSnapshotter} took it: the parameters, the optimizer's state,
 * the clipper's and the loss scaler's, the model's buffers and dropout counters, the data cursor, the regime's state
 * (opaque here) and any extra parts, each under its part name. Off-heap copies are freed by {@link #close()} (the
 * {@link SnapshotRing} closes the snapshots it holds).
 */
public final class RunSnapshot implements AutoCloseable {
    private final Map<String, Object> parts;
    private final long bytes;
    private boolean closed;

    RunSnapshot(Map<String, Object> parts, long bytes) {
        this.parts = Collections.unmodifiableMap(new LinkedHashMap<>(parts));
        this.bytes = bytes;
    }

    /** The part names, in the snapshotter's order. */
    public Set<String> partNames() {
        return parts.keySet();
    }

    /** The snapshot of part name (its component's snapshot type), or null when there is no such part. */
    public Object part(String name) {
        check();
        return parts.get(name);
    }

    /** The snapshot of part name as type, failing with the part's actual type when it is another. */
    public <S> S part(String name, Class<S> type) {
        Object o = part(name);
        if (o == null) {
            throw new IllegalArgumentException("RunSnapshot: no part '" + name + "' (has " + parts.keySet() + ")");
        }
        if (!type.isInstance(o)) {
            throw new IllegalArgumentException("RunSnapshot: part '" + name + "' is a " + o.getClass().getName()
                    + ", not a " + type.getName());
        }
        return type.cast(o);
    }

    /** The parameters' bits. */
    public TensorSnapshot parameters() {
        return part(RunSnapshotter.PARAMETERS, TensorSnapshot.class);
    }

    /** The optimizer's state tensors and step count. */
    public OptimizerState.Snapshot optimizer() {
        return part(RunSnapshotter.OPTIMIZER, OptimizerState.Snapshot.class);
    }

    /** The model's buffers and dropout counters. */
    public ModuleState.Snapshot modules() {
        return part(RunSnapshotter.MODULES, ModuleState.Snapshot.class);
    }

    /** The clipper's state (ZClip.State, an AutoClip history, or {@link ClipStates.None}). */
    public Object clip() {
        return part(RunSnapshotter.CLIP);
    }

    /** The loss scaler's state, or null when the run has no loss scaler. */
    public DynamicLossScaler.State scaler() {
        return parts.containsKey(RunSnapshotter.SCALER)
                ? part(RunSnapshotter.SCALER, DynamicLossScaler.State.class) : null;
    }

    /** The data cursor, or null when the snapshotter has none. */
    public SampleCursor.State cursor() {
        return parts.containsKey(RunSnapshotter.CURSOR) ? part(RunSnapshotter.CURSOR, SampleCursor.State.class) : null;
    }

    /** The regime's state (the regime's own snapshot type), or null when the snapshotter has no regime. */
    public Object regime() {
        return part(RunSnapshotter.REGIME);
    }

    /** Bytes this snapshot holds (the off-heap copies and the small heap states). */
    public long bytes() {
        return bytes;
    }

    Map<String, Object> parts() {
        check();
        return parts;
    }

    boolean isClosed() {
        return closed;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("RunSnapshot: used after close()");
        }
    }

    /** Frees every part that holds memory; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Object o : parts.values()) {
            if (o instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("RunSnapshot: closing a part failed: " + e.getMessage(), e);
                }
            }
        }
    }
}
