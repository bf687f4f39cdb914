package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParallelTest {
    @Test
    void forRangeVisitsEveryIndexOnceForAnyThreadCount() {
        int old = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                int[] hits = new int[1001];
                Parallel.forRange(1001, 17, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        hits[i]++;
                    }
                });
                for (int i = 0; i < hits.length; i++) {
                    assertEquals(1, hits[i], "index " + i + " with " + threads + " threads");
                }
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void reduceIsBitwiseIdenticalAcrossThreadCounts() {
        float[] x = new float[100_003];
        for (int i = 0; i < x.length; i++) {
            x[i] = Philox.uniform(3, 0, i) * 1e4f - 5e3f;   // wide range: a reordered sum would differ
        }
        int old = Parallel.threads();
        try {
            Long bits = null;
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                double s = Parallel.reduce(x.length, 4096, (a, b) -> {
                    float acc = 0;
                    for (int i = a; i < b; i++) {
                        acc += x[i];
                    }
                    return acc;
                });
                long now = Double.doubleToRawLongBits(s);
                if (bits == null) {
                    bits = now;
                }
                assertEquals(bits.longValue(), now, "threads=" + threads);
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void aFailingChunkSurfacesItsExceptionAndThePoolStaysUsable() {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Parallel.forRange(100, 1, (s, t) -> {
                        if (s == 57) {
                            throw new IllegalArgumentException("chunk 57");
                        }
                    }));
            assertEquals("chunk 57", e.getMessage());
            AtomicInteger n = new AtomicInteger();
            Parallel.forRange(100, 1, (s, t) -> n.addAndGet(t - s));
            assertEquals(100, n.get());
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void nestedLoopsRunInline() {
        AtomicInteger n = new AtomicInteger();
        Parallel.forRange(8, 1, (s, e) -> Parallel.forRange(10, 1, (a, b) -> n.addAndGet(b - a)));
        assertEquals(80, n.get());
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }
}
