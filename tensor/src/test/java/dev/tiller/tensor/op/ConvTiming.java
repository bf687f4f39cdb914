package dev.tiller.tensor.op;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ConvGeometry;
import dev.tiller.tensor.kernel.SimdConv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Not a test: a rough wall-clock timing of conv2d forward and both backward passes for the layers of the convnet
 * workload in docs/workloads.md (batch 64, 3x3, padding 1). Run by hand after test-compile, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp tensor/target/classes:tensor/target/test-classes
 * dev.tiller.tensor.op.ConvTiming [iterations]}. JMH benchmarks belong in the bench module.
 */
public final class ConvTiming {
    private ConvTiming() {}

    /** Prints the best of args[0] (default 3) timed rounds per layer, after one warm-up round. */
    public static void main(String[] args) {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int[][] layers = {{3, 32, 32, 32}, {32, 16, 16, 64}, {64, 8, 8, 128}};   // Cin, H, W, Cout
        System.out.println("threads=" + Parallel.threads());
        try (TensorPool pool = new TensorPool()) {
            for (int[] l : layers) {
                Tensor x = TestData.uniform(1, -1f, 1f, 64, l[0], l[1], l[2]);
                Tensor w = TestData.uniform(2, -1f, 1f, l[3], l[0], 3, 3);
                Tensor b = TestData.uniform(3, -1f, 1f, l[3]);
                Tensor dOut = TestData.uniform(4, -1f, 1f, 64, l[3], l[1], l[2]);
                long[] best = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
                for (int it = 0; it < iters + 1; it++) {      // the first round warms up the JIT and the pool
                    try (TensorScope scope = TensorScope.open(pool)) {
                        long t0 = System.nanoTime();
                        Conv.conv2d(x, w, b, 1, 1);
                        long t1 = System.nanoTime();
                        Conv.conv2dBackwardInput(dOut, w, x.shape(), 1, 1, 1, 1);
                        long t2 = System.nanoTime();
                        Conv.conv2dBackwardWeight(dOut, x, w.shape(), 1, 1, 1, 1);
                        Conv.conv2dBackwardBias(dOut);
                        long t3 = System.nanoTime();
                        if (it > 0) {
                            best[0] = Math.min(best[0], t1 - t0);
                            best[1] = Math.min(best[1], t2 - t1);
                            best[2] = Math.min(best[2], t3 - t2);
                        }
                    }
                }
                // the data movement alone: im2col and col2im of all 64 images on one thread
                ConvGeometry g = ConvGeometry.of(64, l[0], l[1], l[2], l[3], 3, 3, 1, 1, 1, 1, 1, 1, 1);
                long moves = Long.MAX_VALUE;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment col = arena.allocate((long) g.colRows() * g.colCols() * 4, 64);
                    MemorySegment dX = arena.allocate(x.numel() * 4, 64);
                    for (int it = 0; it < iters + 1; it++) {
                        long t0 = System.nanoTime();
                        long plane = (long) l[0] * l[1] * l[2];
                        for (int n = 0; n < 64; n++) {
                            SimdConv.im2col(g, x.segment(), x.offset() + n * plane, col, 0);
                            SimdConv.col2im(g, col, 0, dX, n * plane);
                        }
                        moves = it > 0 ? Math.min(moves, System.nanoTime() - t0) : moves;
                    }
                }
                double flops = 2.0 * 64 * l[3] * l[1] * l[2] * l[0] * 9;   // one pass's multiply-adds x 2
                System.out.printf("64x%dx%dx%d -> %dch: forward %.1f ms (%.2f GFLOP/s), backwardInput %.1f ms, "
                                + "backwardWeight+bias %.1f ms; im2col+col2im alone %.1f ms%n", l[0], l[1], l[2], l[3],
                        best[0] / 1e6, flops / best[0], best[1] / 1e6, best[2] / 1e6, moves / 1e6);
            }
        }
    }
}
