package dev.tiller.autograd;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wall time spent in each op's forward and backward, for finding where a step goes: single-threaded phases show
 * at their real cost here, where a sampling profiler shares them out per thread. Off unless the JVM runs with
 * {@code -Dtiller.profile=true} (then every op pays two nanoTime calls and a map update). Gradient sums over
 * broadcast dims and of fan-out are counted as "(engine)" backward time.
 */
public final class OpTimes {
    /** Read once: the checks on the hot path fold away when off. */
    public static final boolean ENABLED = Boolean.getBoolean("tiller.profile");

    private static final Map<String, long[]> TIMES = new ConcurrentHashMap<>();

    private OpTimes() {}

    /** Adds nanos to key: the autograd engine records ops; callers may record their own phases (an optimizer step). */
    public static void record(String key, long nanos) {
        long[] t = TIMES.computeIfAbsent(key, k -> new long[2]);
        synchronized (t) {
            t[0] += nanos;
            t[1]++;
        }
    }

    /** Seconds and calls per "forward NAME" / "backward NAME" since the last reset, sorted by key. */
    public static Map<String, double[]> snapshot() {
        Map<String, double[]> out = new TreeMap<>();
        TIMES.forEach((k, t) -> {
            synchronized (t) {
                out.put(k, new double[] {t[0] * 1e-9, t[1]});
            }
        });
        return out;
    }

    public static void reset() {
        TIMES.clear();
    }
}
