package dev.tiller.policy.state;

import dev.tiller.models.nn.Module;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.DynamicLossScaler;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The components of one run as a single {@link Stateful}: parameters, optimizer, clipper, loss scaler, model buffers
 * and dropout counters, data cursor, regime, and any extra parts (anchor weights, a weight average), each under a
 * part name. {@link #snapshot()} copies them all; {@link #restore} puts them all back, so the steps after a restore
 * replay bit for bit; {@link #rollback} puts back all but the data cursor and the regime (the batches since the
 * snapshot are skipped, and the regime restores its own state when it decides the rollback).
 */
public final class RunSnapshotter implements Stateful<RunSnapshot> {
    public static final String PARAMETERS = "parameters";
    public static final String OPTIMIZER = "optimizer";
    public static final String CLIP = "clip";
    public static final String SCALER = "scaler";
    public static final String MODULES = "modules";
    public static final String CURSOR = "cursor";
    public static final String REGIME = "regime";

    /** A component under its part name. */
    private record Part<S>(String name, Stateful<S> component) {
        @SuppressWarnings("unchecked")
        Object snapshotInto(Object reuse) {
            return component.snapshotInto((S) reuse);
        }

        @SuppressWarnings("unchecked")
        void restore(Object snapshot) {
            component.restore((S) snapshot);
        }

        @SuppressWarnings("unchecked")
        long bytes(Object snapshot) {
            return component.snapshotBytes((S) snapshot);
        }
    }

    private final List<Part<?>> parts;

    private RunSnapshotter(List<Part<?>> parts) {
        this.parts = List.copyOf(parts);
    }

    /**
     * Parts for model (buffers and dropout counters), params (the values the optimizer updates) and optimizer; add
     * the rest with the builder's methods.
     */
    public static Builder builder(Module model, List<ParamRef> params, Optimizer<?> optimizer) {
        return new Builder().part(PARAMETERS, TensorState.ofParams(params))
                .part(OPTIMIZER, new OptimizerState(optimizer))
                .part(MODULES, new ModuleState(model));
    }

    /** Collects the parts; every name once. */
    public static final class Builder {
        private final Map<String, Part<?>> parts = new LinkedHashMap<>();

        private Builder() {}

        /** The clipper's state (see {@link ClipStates#forClipper}: ZClip, AutoClip, a stateless clipper, or null). */
        public Builder clip(Object clipper) {
            return part(CLIP, ClipStates.forClipper(clipper));
        }

        /** The loss scaler (null: none, and no part). */
        public Builder scaler(DynamicLossScaler scaler) {
            return scaler == null ? this : part(SCALER, ClipStates.of(scaler));
        }

        public Builder cursor(SampleCursor cursor) {
            return part(CURSOR, cursor);
        }

        /** The regime (its State is kept opaque). */
        public Builder regime(Stateful<?> regime) {
            return part(REGIME, regime);
        }

        /** Any other component under name. */
        public <S> Builder part(String name, Stateful<S> component) {
            Objects.requireNonNull(component, "RunSnapshotter: part '" + name + "' is null");
            if (parts.putIfAbsent(name, new Part<>(name, component)) != null) {
                throw new IllegalArgumentException("RunSnapshotter: part '" + name + "' added twice");
            }
            return this;
        }

        public RunSnapshotter build() {
            return new RunSnapshotter(new ArrayList<>(parts.values()));
        }
    }

    /** The part names, in snapshot order. */
    public List<String> partNames() {
        return parts.stream().map(Part::name).toList();
    }

    @Override
    public RunSnapshot snapshot() {
        return snapshotInto(null);
    }

    /** A snapshot that overwrites reuse's off-heap copies (reuse is consumed: closed, or returned as the result). */
    @Override
    public RunSnapshot snapshotInto(RunSnapshot reuse) {
        Map<String, Object> old = reuse == null || reuse.isClosed() ? Map.of() : reuse.parts();
        Map<String, Object> out = new LinkedHashMap<>();
        long bytes = 0;
        for (Part<?> p : parts) {
            Object s = p.snapshotInto(old.get(p.name()));
            out.put(p.name(), s);
            bytes += p.bytes(s);
        }
        for (Map.Entry<String, Object> e : old.entrySet()) {   // a part this snapshotter lacks: free it
            if (!out.containsKey(e.getKey()) && e.getValue() instanceof AutoCloseable c) {
                closeQuietly(c);
            }
        }
        return new RunSnapshot(out, bytes);
    }

    /** Puts every part back to snapshot (which stays usable for further restores). */
    @Override
    public void restore(RunSnapshot snapshot) {
        restore(snapshot, partNames());
    }

    /**
     * Puts back every part but the data cursor and the regime: a rollback's restore, after which the run goes on
     * with fresh data from the current cursor.
     */
    public void rollback(RunSnapshot snapshot) {
        List<String> names = new ArrayList<>(partNames());
        names.removeAll(Set.of(CURSOR, REGIME));
        restore(snapshot, names);
    }

    /** Puts back the named parts only; each must be a part of this snapshotter and of snapshot. */
    public void restore(RunSnapshot snapshot, Collection<String> names) {
        Map<String, Object> saved = snapshot.parts();
        for (String n : names) {
            if (parts.stream().noneMatch(p -> p.name().equals(n)) || !saved.containsKey(n)) {
                throw new IllegalArgumentException("RunSnapshotter: part '" + n + "' is not in both the snapshotter "
                        + partNames() + " and the snapshot " + saved.keySet());
            }
        }
        for (Part<?> p : parts) {
            if (names.contains(p.name())) {
                p.restore(saved.get(p.name()));
            }
        }
    }

    @Override
    public long snapshotBytes(RunSnapshot snapshot) {
        return snapshot.bytes();
    }

    @Override
    public long stateBytes() {
        long b = 0;
        for (Part<?> p : parts) {
            b += p.component().stateBytes();
        }
        return b;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException("RunSnapshotter: freeing a snapshot part failed: " + e.getMessage(), e);
        }
    }
}
