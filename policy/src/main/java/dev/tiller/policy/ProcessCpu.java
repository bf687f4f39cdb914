package dev.tiller.policy;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/** The process's CPU time over all threads, JIT and GC included, as a user pays them. */
final class ProcessCpu {
    private static final OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();

    private ProcessCpu() {
    }

    /** CPU nanoseconds this process has used, or 0 where the platform does not expose it (so sums stay 0). */
    static long nanos() {
        if (OS instanceof com.sun.management.OperatingSystemMXBean sun) {   // qualified: clashes with the import
            long n = sun.getProcessCpuTime();
            return Math.max(n, 0);
        }
        return 0;
    }
}
