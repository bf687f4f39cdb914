package dev.tiller.policy.state;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named live tensors (a model's parameters, anchor weights, any buffer set) as a {@link Stateful}: a snapshot is a
 * bitwise off-heap copy of every tensor, and a restore writes the bits back in place.
 */
public final class TensorState implements Stateful<TensorSnapshot> {
    private final Map<String, Tensor> live;

    /** The given tensors, by name, in the map's order. */
    public TensorState(Map<String, Tensor> live) {
        this.live = Collections.unmodifiableMap(new LinkedHashMap<>(live));
    }

    /** The values of params (their gradients are not state: every step clears them before use). */
    public static TensorState ofParams(List<ParamRef> params) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (ParamRef p : params) {
            if (m.put(p.name(), p.value()) != null) {
                throw new IllegalArgumentException("TensorState: parameter name '" + p.name() + "' used twice");
            }
        }
        return new TensorState(m);
    }

    /** The live tensors, by name. */
    public Map<String, Tensor> live() {
        return live;
    }

    @Override
    public TensorSnapshot snapshot() {
        return TensorSnapshot.of(live);
    }

    @Override
    public TensorSnapshot snapshotInto(TensorSnapshot reuse) {
        return TensorSnapshot.of(live, reuse);
    }

    @Override
    public void restore(TensorSnapshot snapshot) {
        snapshot.restoreInto(live);
    }

    @Override
    public long snapshotBytes(TensorSnapshot snapshot) {
        return snapshot.bytes();
    }

    @Override
    public long stateBytes() {
        return TensorSnapshot.bytesOf(live);
    }
}
