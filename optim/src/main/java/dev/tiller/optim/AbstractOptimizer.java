package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The shared machinery of optimizers: parameter groups, eagerly allocated named state with a per-state precision,
 * the step counter, and checked save/load. A subclass declares its state in its constructor with {@link #slot} and
 * implements {@link #update}, which sees one parameter at a time with its group's hyperparameters.
 *
 * @param <H> the hyperparameter record
 */
public abstract class AbstractOptimizer<H extends Record> implements Optimizer<H> {
    private final String name;
    private final List<ParamGroup<H>> groups;
    private final Map<String, StatePrecision> precisions;
    private final Map<String, StateSlot> slots = new LinkedHashMap<>();
    private final Allocator allocator;
    private final long seed;
    private long t;

    /**
     * groups: the parameters; precisions: stored precision per state kind ("m", "v", ...), F32 where absent;
     * allocator: where state lives (e.g. the run's arena); seed keys stochastic rounding of low-precision state.
     */
    protected AbstractOptimizer(String name, List<ParamGroup<H>> groups, Map<String, StatePrecision> precisions,
                                Allocator allocator, long seed) {
        this.name = name;
        this.groups = List.copyOf(groups);
        this.precisions = Map.copyOf(precisions);
        this.allocator = allocator == null ? Allocators.auto() : allocator;
        this.seed = seed;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (ParamGroup<H> g : this.groups) {
            for (ParamRef p : g.params()) {
                if (!names.add(p.name())) {
                    throw new IllegalArgumentException(name + ": parameter name '" + p.name() + "' appears twice");
                }
            }
        }
    }

    /** Declares (and allocates, zeroed) the state kind for parameter p, with the given shape. */
    protected final StateSlot slot(String kind, ParamRef p, int... shape) {
        String key = kind + "/" + p.name();
        if (slots.containsKey(key)) {
            throw new IllegalStateException(name + ": state " + key + " declared twice");
        }
        StateSlot s = new StateSlot(key, precisions.getOrDefault(kind, StatePrecision.F32), slots.size(), seed,
                allocator, shape);
        slots.put(key, s);
        return s;
    }

    /** Declares state kind for p shaped like p. */
    protected final StateSlot slot(String kind, ParamRef p) {
        return slot(kind, p, p.value().shape());
    }

    /** The state slot declared for kind and p. */
    protected final StateSlot slotOf(String kind, ParamRef p) {
        StateSlot s = slots.get(kind + "/" + p.name());
        if (s == null) {
            throw new IllegalStateException(name + ": no state " + kind + "/" + p.name());
        }
        return s;
    }

    /** One update of parameter p with its group's hyperparameters h; t counts from 1. */
    protected abstract void update(ParamRef p, H h, long t);

    /** Hook before the per-parameter updates of a step (for optimizers with global state, e.g. Prodigy). */
    protected void beforeStep(H hyper, long t) {
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public void step(H hyper) {
        Objects.requireNonNull(hyper, name + ": step needs hyperparameters");
        t++;
        beforeStep(hyper, t);
        for (ParamGroup<H> g : groups) {
            H h = g.override().apply(hyper);
            for (ParamRef p : g.params()) {
                update(p, h, t);
            }
        }
    }

    @Override
    public final long stepCount() {
        return t;
    }

    /** Sets the step counter (used by loadState). */
    protected final void setStepCount(long steps) {
        this.t = steps;
    }

    @Override
    public final List<ParamGroup<H>> groups() {
        return groups;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (StateSlot s : slots.values()) {
            out.put(s.name(), s.stored());
            if (s.scales() != null) {
                out.put(s.name() + "#scale", s.scales());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void loadState(Map<String, Tensor> saved, long stepCount) {
        Map<String, Tensor> mine = state();
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            Tensor src = saved.get(e.getKey());
            Tensor dst = e.getValue();
            if (src == null) {
                throw new IllegalArgumentException(name + ": saved state lacks tensor '" + e.getKey() + "' (has "
                        + saved.keySet() + ")");
            }
            if (src.dtype() != dst.dtype() || !Shape.same(src.shape(), dst.shape())) {
                throw new IllegalArgumentException(name + ": saved state tensor '" + e.getKey() + "' is "
                        + src.describe() + " but this optimizer needs " + dst.describe());
            }
        }
        for (String k : saved.keySet()) {
            if (!mine.containsKey(k)) {
                throw new IllegalArgumentException(name + ": saved state has tensor '" + k
                        + "' for a parameter or state this optimizer does not have");
            }
        }
        if (stepCount < 0) {
            throw new IllegalArgumentException(name + ": saved step count " + stepCount + " is negative");
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            e.getValue().copyFrom(saved.get(e.getKey()));
        }
        this.t = stepCount;
    }

    @Override
    public long stateBytes() {
        long b = 0;
        for (StateSlot s : slots.values()) {
            b += s.bytes();
        }
        return b;
    }

    /** All parameters of all groups, in order. */
    protected final List<ParamRef> allParams() {
        List<ParamRef> out = new ArrayList<>();
        for (ParamGroup<H> g : groups) {
            out.addAll(g.params());
        }
        return out;
    }
}
