package dev.tiller.optim.average;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A running average of the parameters (as PyTorch's {@code torch.optim.swa_utils.AveragedModel}): one off-heap
 * float32 tensor per parameter, allocated up front as a copy of the parameter, a count of averaged updates, and
 * swap-in for evaluation.
 * <p>
 * {@link #swap()} exchanges the values of the parameters and their averages element by element (bitwise), so after
 * one swap the model evaluates with the averaged weights and a second swap restores the training weights exactly;
 * training can continue. {@link #update} refuses to run while the average is swapped in. State is saved and loaded
 * by name ({@code kind + "/" + parameter name}) with the count, checked like optimizer state.
 */
public abstract class WeightAverage {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final String kind;
    private final List<ParamRef> params;
    private final List<Tensor> averages;
    private long count;
    private boolean swapped;

    /** kind: state name prefix ("ema", "swa"); allocator: where the averages live (null: the default). */
    protected WeightAverage(String kind, List<ParamRef> params, Allocator allocator) {
        this.kind = kind;
        this.params = List.copyOf(params);
        Allocator a = allocator == null ? Allocators.auto() : allocator;
        Set<String> names = new HashSet<>();
        List<Tensor> avg = new ArrayList<>();
        for (ParamRef p : this.params) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(kind + ": parameter name '" + p.name() + "' appears twice");
            }
            Tensor t = Tensor.allocate(a, DType.F32, p.value().shape());
            t.copyFrom(p.value());
            avg.add(t);
        }
        this.averages = List.copyOf(avg);
    }

    /** Folds the current parameter values into the average (averages tensor i for parameter i). */
    protected abstract void average(Tensor avg, Tensor param, long countBefore);

    /** Folds the current parameters into the average and counts the update. */
    protected final void foldIn() {
        if (swapped) {
            throw new IllegalStateException(kind + ": update while the average is swapped in; call swap() first to"
                    + " put the training weights back");
        }
        for (int i = 0; i < params.size(); i++) {
            average(averages.get(i), params.get(i).value(), count);
        }
        count++;
    }

    /** Number of updates folded into the average. */
    public final long count() {
        return count;
    }

    /** True while the parameters hold the average (between two swaps). */
    public final boolean swappedIn() {
        return swapped;
    }

    /** The average of the named parameter (while swapped in: the training weights). */
    public final Tensor average(String paramName) {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).name().equals(paramName)) {
                return averages.get(i);
            }
        }
        throw new IllegalArgumentException(kind + ": no parameter named '" + paramName + "'");
    }

    /** Exchanges parameter values with their averages (bitwise); calling it twice restores both. */
    public final void swap() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i).value();
            Tensor a = averages.get(i);
            MemorySegment ps = p.segment();
            MemorySegment as = a.segment();
            long po = p.offset();
            long ao = a.offset();
            long n = p.numel();
            for (long j = 0; j < n; j++) {
                // raw int bits, so NaN payloads and -0.0 survive the round trip
                int x = ps.getAtIndex(ValueLayout.JAVA_INT, po + j);
                ps.setAtIndex(ValueLayout.JAVA_INT, po + j, as.getAtIndex(ValueLayout.JAVA_INT, ao + j));
                as.setAtIndex(ValueLayout.JAVA_INT, ao + j, x);
            }
        }
        swapped = !swapped;
    }

    /** The averages by name ("ema/w", ...), views of the live state. Save while not swapped in. */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put(kind + "/" + params.get(i).name(), averages.get(i));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Loads saved averages and their count. Every tensor must be present, float32 and shaped like its parameter, and
     * no extra tensor may appear; the error names the tensor.
     */
    public final void loadState(Map<String, Tensor> saved, long savedCount) {
        if (swapped) {
            throw new IllegalStateException(kind + ": loadState while the average is swapped in; swap() back first");
        }
        Map<String, Tensor> mine = state();
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            Tensor src = saved.get(e.getKey());
            if (src == null) {
                throw new IllegalArgumentException(kind + ": saved state lacks tensor '" + e.getKey() + "' (has "
                        + saved.keySet() + ")");
            }
            if (src.dtype() != DType.F32 || !Shape.same(src.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(kind + ": saved state tensor '" + e.getKey() + "' is "
                        + src.describe() + " but this average needs " + e.getValue().describe());
            }
        }
        for (String k : saved.keySet()) {
            if (!mine.containsKey(k)) {
                throw new IllegalArgumentException(kind + ": saved state has tensor '" + k
                        + "' for a parameter this average does not have");
            }
        }
        if (savedCount < 0) {
            throw new IllegalArgumentException(kind + ": saved count " + savedCount + " is negative");
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            e.getValue().copyFrom(saved.get(e.getKey()));
        }
        count = savedCount;
    }

    /** avg = param (first update). */
    protected static void copy(Tensor avg, Tensor param) {
        avg.copyFrom(param);
    }

    static float get(MemorySegment s, long i) {
        return s.getAtIndex(F32, i);
    }

    static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(F32, i, v);
    }
}
