package dev.tiller.bench;

import com.sun.management.ThreadMXBean;
import dev.tiller.autograd.OpTimes;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Times a step the way the PyTorch peer does (warm-up steps, then the median of n timed steps; warm-up also lasts at
 * least 5 s and until the JIT has stopped compiling for 3 steps and 3 s, since it compiles the kernels only after
 * they have run for a while) and measures what a step allocates after warm-up: heap bytes (all threads, from the
 * JVM's per-thread allocation counters) and off-heap bytes (whatever the step's measure reports, e.g. a
 * TensorPool's new reservations).
 */
final class StepTimer {
    /** Median seconds, heap bytes per step and off-heap bytes per step over the timed steps. */
    record Result(double medianSeconds, double heapBytesPerStep, double offHeapBytesPerStep) {}

    /** A step, and a reading of off-heap bytes reserved so far (monotone). */
    interface Step {
        void run();

        default long offHeapReserved() {
            return 0;
        }
    }

    private StepTimer() {}

    /** Warm-up lasts at least this long as well as the given number of steps: the JIT must reach steady state. */
    static final double MIN_WARMUP_SECONDS = 5.0;

    /**
     * Warm-up also runs until the JIT is quiet: this many steps in a row with no compilation time added. On a
     * loaded 2-core machine the C2 queue (Vector API methods inline deep trees) can take 15 s or more to reach the
     * kernels; until it does they run as C1 code that boxes every vector, several times slower.
     */
    static final int QUIET_STEPS = 3;
    /**
     * ...and for at least this long: a kernel that C1 compiled at tier 2 (which it does while C2's queue is long)
     * adds no compilation time until it is promoted, seconds later, so a few quiet short steps prove little.
     */
    static final double QUIET_SECONDS = 3.0;
    /** ...but never longer than this: a workload whose JIT never settles is timed anyway. */
    static final double MAX_WARMUP_SECONDS = 120.0;

    /**
     * Runs step at least minSteps times and minSeconds, and then until quietSteps runs in a row, over at least
     * quietSeconds, have added no JIT compilation time (or maxSeconds have passed, or the JVM cannot tell).
     */
    static void warmUp(Runnable step, int minSteps, double minSeconds, int quietSteps, double quietSeconds,
                       double maxSeconds) {
        long start = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long jitBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
        int quiet = 0;
        long quietSince = start;
        for (int i = 0; ; i++) {
            step.run();
            long now = System.nanoTime();
            long jitNow = jitTimed ? jit.getTotalCompilationTime() : 0;
            if (jitNow == jitBefore) {
                quiet++;
            } else {
                quiet = 0;
                quietSince = now;
            }
            jitBefore = jitNow;
            double elapsed = (now - start) / 1e9;
            boolean settled = !jitTimed || (quiet >= quietSteps && (now - quietSince) / 1e9 >= quietSeconds);
            if (i + 1 >= minSteps && elapsed >= minSeconds && (settled || elapsed >= maxSeconds)) {
                return;
            }
        }
    }

    static Result time(Step step, int warm, int n) {
        warmUp(step::run, warm, MIN_WARMUP_SECONDS, QUIET_STEPS, QUIET_SECONDS, MAX_WARMUP_SECONDS);
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long heap0 = mx.getTotalThreadAllocatedBytes();
        long off0 = step.offHeapReserved();
        double[] t = new double[n];
        OpTimes.reset();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        long heap1 = mx.getTotalThreadAllocatedBytes();
        if (OpTimes.ENABLED) {
            printProfile(n, Arrays.stream(t).sum());
        }
        long off1 = step.offHeapReserved();
        Arrays.sort(t);
        double median = n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;   // statistics.median
        return new Result(median, heap0 < 0 ? Double.NaN : (double) (heap1 - heap0) / n, (double) (off1 - off0) / n);
    }

    /** --profile: wall seconds per timed step in each op, largest first, on stderr (stdout keeps the keys). */
    private static void printProfile(int n, double total) {
        double counted = 0;
        List<Map.Entry<String, double[]>> rows = new ArrayList<>(OpTimes.snapshot().entrySet());
        rows.sort((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]));
        System.err.printf("profile: %.4f s a step over %d steps%n", total / n, n);
        for (Map.Entry<String, double[]> e : rows) {
            double s = e.getValue()[0];
            counted += s;
            System.err.printf("%8.4f s %5.1f%% %6.0f calls  %s%n", s / n, 100 * s / total, e.getValue()[1] / n,
                    e.getKey());
        }
        double rest = total - counted;
        System.err.printf("%8.4f s %5.1f%%               elsewhere%n", rest / n, 100 * rest / total);
    }
}
