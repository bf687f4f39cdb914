package dev.tiller.bench;

import dev.tiller.tensor.kernel.SimdGemm;
import dev.tiller.tensor.kernel.ref.RefGemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Single-threaded SGEMM, C = A B for square n x n float32 matrices: the SIMD kernel and its scalar twin in the same
 * run. Each side's n spans 16x, so the cost should grow about 8x per doubling of n; GFLOP/s =
 * 2 n^3 / (ns/op). The twin stops at n = 128 (it takes about a second at 512). Warm-up is long because the Vector
 * API runs hundreds of times slower in the interpreter than once C2 has compiled the microkernel.
 * Run: {@code ./tiller bench jmh GemmBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class GemmBenchmark {
    /** Operands for the SIMD kernel: n = 32 (direct-path border is 16^3), 128, 512. */
    @State(Scope.Thread)
    public static class Simd {
        @Param({"32", "128", "512"})
        int n;
        Operands ops;

        @Setup(Level.Trial)
        public void setUp() {
            ops = new Operands(n);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ops.arena.close();
        }
    }

    /** Operands for the scalar twin: n = 8, 32, 128. */
    @State(Scope.Thread)
    public static class Ref {
        @Param({"8", "32", "128"})
        int n;
        Operands ops;

        @Setup(Level.Trial)
        public void setUp() {
            ops = new Operands(n);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ops.arena.close();
        }
    }

    /** A, B uniform in [-1, 1) and C, each (n, n), off-heap. */
    static final class Operands {
        final int n;
        final Arena arena = Arena.ofConfined();
        final MemorySegment a;
        final MemorySegment b;
        final MemorySegment c;

        Operands(int n) {
            this.n = n;
            long count = (long) n * n;
            a = arena.allocate(count * Float.BYTES, 64);
            b = arena.allocate(count * Float.BYTES, 64);
            c = arena.allocate(count * Float.BYTES, 64);
            SplittableRandom r = new SplittableRandom(42);
            for (long i = 0; i < count; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
            }
        }
    }

    @Benchmark
    public MemorySegment simd(Simd s) {
        Operands o = s.ops;
        SimdGemm.sgemm(false, false, o.n, o.n, o.n, 1f, o.a, 0, o.n, o.b, 0, o.n, 0f, o.c, 0, o.n);
        return o.c;
    }

    @Benchmark
    public MemorySegment ref(Ref s) {
        Operands o = s.ops;
        RefGemm.sgemm(false, false, o.n, o.n, o.n, 1f, o.a, 0, o.n, o.b, 0, o.n, 0f, o.c, 0, o.n);
        return o.c;
    }
}
