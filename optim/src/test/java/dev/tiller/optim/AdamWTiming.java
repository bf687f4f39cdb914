package dev.tiller.optim;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: wall-clock time of one AdamW step over 4 parameters of 2^22 floats each, against a plain-SGD sweep
 * over the same memory as a bandwidth calibration (a fused AdamW step reads p, g, m, v and writes p, m, v once, so
 * it should cost about 7/3 of that sweep; on a loaded machine both slow down together). Run by hand after
 * test-compile, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp optim/target/classes:optim/target/test-classes:$(cat
 * optim/target/classpath.txt) dev.tiller.optim.AdamWTiming [steps]} (-Dtiller.threads=N to pick threads).
 * Prints the median and best of the timed steps after warm-up. JMH benchmarks belong in the bench module.
 */
public final class AdamWTiming {
    private AdamWTiming() {}

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int n = 1 << 22;
        List<ParamRef> ps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ps.add(new ParamRef("w" + i, Tensor.uniform(1, i, -1f, 1f, n), Tensor.uniform(2, i, -1f, 1f, n)));
        }
        AdamW opt = new AdamW(ps);
        AdamWHyper h = AdamWHyper.defaults();
        for (int i = 0; i < 5; i++) {
            opt.step(h);                                  // warm-up: JIT, page faults of the state
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] s = new double[steps];
        double[] cpu = new double[steps];
        for (int i = 0; i < steps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            opt.step(h);
            s[i] = (System.nanoTime() - t0) * 1e-9;
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) * 1e-9;
        }
        Arrays.sort(s);
        Arrays.sort(cpu);
        if (Parallel.threads() == 1) {
            // on a shared machine wall time includes time-slicing; the caller's CPU time is the work itself
            System.out.printf("AdamW step CPU time of the (only) thread: median %.4f s, best %.4f s%n",
                    cpu[steps / 2], cpu[0]);
        }
        // calibration on the same memory: plain SGD (reads p, g; writes p), the cheapest memory-bound sweep
        double[] c = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            for (ParamRef p : ps) {
                FusedUpdate.sgd(p.value(), p.grad(), 1f, 0f, 0f);
            }
            c[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(c);
        System.out.printf("calibration: plain SGD sweep (12 bytes/float) median %.4f s = %.1f GB/s%n", c[steps / 2],
                4.0 * n * 12 / c[steps / 2] / 1e9);
        double bytes = 4.0 * n * 4 * (4 + 3);            // reads p, g, m, v; writes p, m, v
        System.out.printf("AdamW step, 4 x 2^22 floats, threads=%d, kernels=%s: median %.4f s, best %.4f s"
                        + " (%.1f GB/s at the median)%n", Parallel.threads(), Kernels.SIMD ? "simd" : "scalar",
                s[steps / 2], s[0], bytes / s[steps / 2] / 1e9);
    }
}
