package dev.tiller.bench;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;

/**
 * Workload {@code matmul} (WORKLOADS.md): C = A B for square float32 matrices of side 256 and 1024, reported as
 * GFLOP/s = 2 n^3 / t with t the median of timed runs after a warm-up, like torch_ref.py's {@code timeit}.
 * The warm-up is longer than the peer's because the JIT must compile the kernel first.
 */
final class MatmulWorkload {
    private MatmulWorkload() {}

    static void run(Main.Report out) {
        for (int n : new int[] {256, 1024}) {
            try (Tensor a = Tensor.normal(1, 1, 0f, 1f, n, n);
                 Tensor b = Tensor.normal(1, 2, 0f, 1f, n, n);
                 Tensor c = Tensor.zeros(n, n)) {
                // Warm-up: at least 1 s and 10 runs, so C2 has compiled the kernels.
                long warmEnd = System.nanoTime() + 1_000_000_000L;
                for (int i = 0; i < 10 || System.nanoTime() < warmEnd; i++) {
                    Linalg.matmulInto(a, b, c, 1f, 0f);
                }
                int runs = n <= 256 ? 50 : 10;
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
