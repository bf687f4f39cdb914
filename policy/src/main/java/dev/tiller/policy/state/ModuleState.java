package dev.tiller.policy.state;

import dev.tiller.models.nn.Dropout;
import dev.tiller.models.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model's state beyond its parameters, as a {@link Stateful}: every buffer ({@link Module#namedBuffers()}, e.g.
 * batch norm's running statistics, copied bitwise off-heap) and the mask counter of every {@link Dropout} below it
 * (found by {@link Module#namedModules()}), so dropout after a restore draws the same masks. A probe that runs an
 * extra forward in training mode restores this afterwards, and the run trains the same bits as without the probe.
 */
public final class ModuleState implements Stateful<ModuleState.Snapshot> {
    /** The saved buffers and the dropout counters (in {@link #counterNames()} order); close frees the copies. */
    public record Snapshot(TensorSnapshot buffers, long[] counters) implements AutoCloseable {
        public Snapshot {
            counters = counters.clone();
        }

        @Override
        public long[] counters() {
            return counters.clone();
        }

        @Override
        public void close() {
            buffers.close();
        }
    }

    private final TensorState buffers;
    private final List<String> counterNames = new ArrayList<>();
    private final List<Dropout> dropouts = new ArrayList<>();

    public ModuleState(Module model) {
        this.buffers = new TensorState(model.namedBuffers());
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout d) {
                counterNames.add(e.getKey());
                dropouts.add(d);
            }
        }
    }

    /** The dropout modules' full names, in the order of {@link Snapshot#counters()}. */
    public List<String> counterNames() {
        return List.copyOf(counterNames);
    }

    /** The live dropout counters, in {@link #counterNames()} order. */
    public long[] counters() {
        long[] c = new long[dropouts.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = dropouts.get(i).counter();
        }
        return c;
    }

    @Override
    public Snapshot snapshot() {
        return new Snapshot(buffers.snapshot(), counters());
    }

    @Override
    public Snapshot snapshotInto(Snapshot reuse) {
        return new Snapshot(buffers.snapshotInto(reuse == null ? null : reuse.buffers()), counters());
    }

    @Override
    public void restore(Snapshot snapshot) {
        long[] c = snapshot.counters();
        if (c.length != dropouts.size()) {
            throw new IllegalArgumentException("ModuleState: the snapshot holds " + c.length
                    + " dropout counters but the model has " + dropouts.size() + " " + counterNames);
        }
        buffers.restore(snapshot.buffers());
        for (int i = 0; i < c.length; i++) {
            dropouts.get(i).counter(c[i]);
        }
    }

    @Override
    public long snapshotBytes(Snapshot snapshot) {
        return snapshot.buffers().bytes() + 8L * dropouts.size();
    }

    @Override
    public long stateBytes() {
        return buffers.stateBytes() + 8L * dropouts.size();
    }
}
