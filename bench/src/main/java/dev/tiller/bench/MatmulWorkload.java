package dev.tiller.bench;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;

/**
 * Workload {@code matmul}: C = A B for square float32 matrices of side 256 and 1024, reported as GFLOP/s =
 * 2 n^3 / t with t the median of timed runs after a warm-up, like the peer's {@code timeit}.
 * The warm-up is longer than the peer's because the JIT must compile the kernel first; 256 takes 100 timed runs
 * (about 1 ms each), 1024 takes 10.
 */
final class MatmulWorkload {
    private MatmulWorkload() {}

    static void run(Main.Report out) {
        for (int n : new int[] {256, 1024}) {
            try (Tensor a = Tensor.normal(1, 1, 0f, 1f, n, n);
                 Tensor b = Tensor.normal(1, 2, 0f, 1f, n, n);
                 Tensor c = Tensor.zeros(n, n)) {
                // Warm-up: at least 2 s and 20 runs. The Vector API is hundreds of times slower before C2 compiles
                // the microkernel, and on a loaded machine the compiler threads get little CPU.
                // It also goes on until the JIT is quiet (StepTimer's rule), capped at 30 s.
                StepTimer.warmUp(() -> Linalg.matmulInto(a, b, c, 1f, 0f), 20, 2.0, 10, 1.0, 30.0);
                int runs = n <= 256 ? 100 : 10;
                double[] t = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    Linalg.matmulInto(a, b, c, 1f, 0f);
                    t[i] = (System.nanoTime() - t0) * 1e-9;
                }
                out.put("matmul_" + n + "_gflops", 2.0 * n * n * n / Main.median(t) / 1e9);
            }
        }
    }
}
