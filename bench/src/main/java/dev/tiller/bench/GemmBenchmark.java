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
import java.util.concurrent.TimeUnit;

/**
 * Single-threaded SGEMM, C = A B for square n x n float32 matrices: the SIMD kernel against its scalar twin in the
 * same run (STYLE.md H5). n spans 16x (32..512), so the cost should grow about 8x per doubling; GFLOP/s = 2 n^3 /
 * (ns/op). RefGemm runs only up to n = 128 (it takes seconds beyond).
 * Run: {@code ./tiller bench jmh GemmBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class GemmBenchmark {
    @Param({"32", "128", "512"})
    int n;

    private Arena arena;
    private MemorySegment a;      // (n, n)
    private MemorySegment b;      // (n, n)
    private MemorySegment c;      // (n, n)

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofConfined();
        long count = (long) n * n;
        a = arena.allocate(count * Float.BYTES, 64);
        b = arena.allocate(count * Float.BYTES, 64);
        c = arena.allocate(count * Float.BYTES, 64);
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        for (long i = 0; i < count; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment simd() {
        SimdGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        return c;
    }

    @Benchmark
    public MemorySegment ref() {
        if (n > 128) {
            return c;           // the scalar twin takes seconds at n = 512; its curve is clear by n = 128
        }
        RefGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        return c;
    }
}
