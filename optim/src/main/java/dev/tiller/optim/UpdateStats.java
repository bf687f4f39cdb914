package dev.tiller.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-parameter statistics of one optimizer step, filled inside the step's fused pass when the step was asked for
 * them ({@link Optimizer#recordUpdateStats}): the sum of squares of the applied update (new value minus old value,
 * weight decay included) and of the weight before the update. One sink serves one step; closing it makes an
 * optimizer that still holds it (its step never ran) ignore it.
 */
public final class UpdateStats {
    /** Sums for one parameter tensor of count elements. */
    public record Entry(double updateSquares, double weightSquares, long count) {
        /** RMS(update) / RMS(weight): the update-to-weight ratio; +infinity for a zero weight with a nonzero update. */
        public double rmsRatio() {
            return Math.sqrt(updateSquares) / Math.sqrt(weightSquares);
        }
    }

    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private boolean closed;

    /**
     * The accumulator of parameter name (count elements): {update squares, weight squares, nanoseconds spent on
     * them}, added to in place.
     */
    double[] slot(String name, long count) {
        counts.put(name, count);
        return sums.computeIfAbsent(name, k -> new double[3]);
    }

    /** Time the statistics added to the steps that filled this sink, in nanoseconds summed over threads. */
    public long nanos() {
        double t = 0;
        for (double[] s : sums.values()) {
            t += s[2];
        }
        return (long) t;
    }

    /** The parameters updated while this sink was armed, in update order. */
    public Map<String, Entry> entries() {
        Map<String, Entry> out = new LinkedHashMap<>();
        sums.forEach((k, s) -> out.put(k, new Entry(s[0], s[1], counts.get(k))));
        return Collections.unmodifiableMap(out);
    }

    public boolean isEmpty() {
        return sums.isEmpty();
    }

    /** Ends this sink's use: an optimizer step that has not run yet no longer fills it. */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }
}
