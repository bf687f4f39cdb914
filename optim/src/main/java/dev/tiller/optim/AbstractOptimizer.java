package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The shared machinery of optimizers: parameter groups, eagerly allocated named state with a per-state precision,
 * the step counter, and checked save/load. A subclass builds each parameter's state record S once, in its
 * constructor, with {@link #declareState} (whose function declares the record's tensors with {@link #slot}), and
 * implements {@link #update}, which sees one parameter at a time with its state record and its group's
 * hyperparameters. The slot names ("exp_avg/fc.weight", ...) exist for checkpoints only: a step never looks a
 * tensor up by name.
 *
 * @param <H> the hyperparameter record
 * @param <S> the per-parameter state record
 */
public abstract class AbstractOptimizer<H extends Record, S> implements Optimizer<H> {
    private final String name;
    private final List<ParamGroup<H>> groups;
    private final List<ParamRef> params;
    private final Map<String, StatePrecision> precisions;
    private final Map<String, StateSlot> slots = new LinkedHashMap<>();
    private List<S> states;
    private final Allocator allocator;
    private final long seed;
    private long t;
    private UpdateStats statsRequest;    // for the next step
    private UpdateStats stats;           // during a step

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
        Set<String> names = new HashSet<>();
        List<ParamRef> all = new ArrayList<>();
        for (ParamGroup<H> g : this.groups) {
            for (ParamRef p : g.params()) {
                if (!names.add(p.name())) {
                    throw new IllegalArgumentException(name + ": parameter name '" + p.name() + "' appears twice");
                }
                all.add(p);
            }
        }
        this.params = List.copyOf(all);
    }

    /**
     * Builds every parameter's state record with make, in parameter order (so slot ids, which key stochastic
     * rounding, follow that order). The subclass constructor calls this exactly once.
     */
    protected final void declareState(Function<ParamRef, S> make) {
        if (states != null) {
            throw new IllegalStateException(name + ": state declared twice");
        }
        List<S> out = new ArrayList<>(params.size());
        for (ParamRef p : params) {
            out.add(Objects.requireNonNull(make.apply(p), name + ": no state for " + p.name()));
        }
        states = List.copyOf(out);
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

    /**
     * The state record of the k-th parameter in parameter order (for hooks that walk the groups themselves, as
     * {@link #beforeStep} may).
     */
    protected final S stateAt(int k) {
        return states.get(k);
    }

    /** The state record of parameter p (a search by identity: for calls outside the step, e.g. evaluation). */
    protected final S stateOf(ParamRef p) {
        for (int k = 0; k < params.size(); k++) {
            if (params.get(k) == p) {
                return states.get(k);
            }
        }
        throw new IllegalArgumentException(name + ": parameter '" + p.name() + "' is not optimized here");
    }

    /** One update of parameter p, whose state record is state, with its group's hyperparameters h; t counts from 1. */
    protected abstract void update(ParamRef p, S state, H h, long t);

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
        if (states == null) {
            throw new IllegalStateException(name + ": the constructor never called declareState");
        }
        t++;
        stats = statsRequest == null || statsRequest.isClosed() ? null : statsRequest;
        statsRequest = null;
        try {
            beforeStep(hyper, t);
            int k = 0;
            for (ParamGroup<H> g : groups) {
                H h = g.override().apply(hyper);
                for (ParamRef p : g.params()) {
                    update(p, states.get(k++), h, t);
                }
            }
        } finally {
            stats = null;
        }
    }

    @Override
    public final boolean recordUpdateStats(UpdateStats sink) {
        if (!measuresUpdates()) {
            return false;
        }
        statsRequest = sink;
        return true;
    }

    /** True when {@link #update} passes {@link #updateSums} to its fused pass; false by default. */
    protected boolean measuresUpdates() {
        return false;
    }

    /**
     * Where the fused pass of p's update adds {sum of update squares, sum of weight squares} this step, or null when
     * no statistics were asked for (the usual case: the pass then does nothing extra).
     */
    protected final double[] updateSums(ParamRef p) {
        return stats == null ? null : stats.slot(p.name(), p.numel());
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
        return params;
    }
}
