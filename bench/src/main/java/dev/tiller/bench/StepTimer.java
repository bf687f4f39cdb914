package dev.tiller.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a step the way torch_ref.py does (warm-up steps, then the median of n timed steps; warm-up also lasts at least
 * 5 s, since the JIT compiles the kernels only after they have run for a while) and measures what a step
 * allocates after warm-up: heap bytes (all threads, from the JVM's per-thread allocation counters) and off-heap
 * bytes (whatever the step's measure reports, e.g. a TensorPool's new reservations).
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

    static Result time(Step step, int warm, int n) {
        long warmStart = System.nanoTime();
        for (int i = 0; i < warm || (System.nanoTime() - warmStart) / 1e9 < MIN_WARMUP_SECONDS; i++) {
            step.run();
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long heap0 = mx.getTotalThreadAllocatedBytes();
        long off0 = step.offHeapReserved();
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        long heap1 = mx.getTotalThreadAllocatedBytes();
        long off1 = step.offHeapReserved();
        Arrays.sort(t);
        double median = n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;   // statistics.median
        return new Result(median, heap0 < 0 ? Double.NaN : (double) (heap1 - heap0) / n, (double) (off1 - off0) / n);
    }
}
