package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefReduce;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** SimdReduce against RefReduce on lengths 0..600 with misaligned offsets. */
class ReduceTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final double U53 = 0x1p-53;

    @Test
    void simdReductionsMatchReference() {
        qt().withFixedSeed(11L).withExamples(400)
                .forAll(integers().between(0, 600), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = UnaryTwinTest.uniform(arena, off + n, seed, -8f, 8f);
                        double abs = 0;
                        double mean = RefReduce.sum(x, off, n) / Math.max(1, n);
                        double dev = 0;
                        float m = RefReduce.max(x, off, n);
                        double expSum = 0;
                        for (int i = 0; i < n; i++) {
                            double v = x.getAtIndex(F32, off + i);
                            abs += Math.abs(v);
                            dev += (v - mean) * (v - mean);
                            expSum += Math.exp(v - m);
                        }
                        // both sum in double, in different orders: each within n 2^-53 sum|x| of exact
                        double sumTol = 2 * n * U53 * abs;
                        assertEquals(RefReduce.sum(x, off, n), SimdReduce.sum(x, off, n), sumTol);
                        assertEquals(RefReduce.sumSquaredDeviation(x, off, n, mean),
                                SimdReduce.sumSquaredDeviation(x, off, n, mean), 4 * n * U53 * dev + 1e-300);
                        if (n > 0) {
                            // float exp of (x - m): x - m is exact (Sterbenz does not apply, but |x - m| < 16 so
                            // the float difference rounds by at most 2^-20, relative error of exp 2^-20 <= 16u);
                            // plus exp's 1 ulp (2u) per term
                            assertEquals(RefReduce.sumExp(x, off, n, m), SimdReduce.sumExp(x, off, n, m),
                                    18 * 0x1p-24 * expSum + 2 * n * U53 * expSum);
                        }
                        assertEquals(m, SimdReduce.max(x, off, n), 0.0);              // exact
                        assertEquals(RefReduce.min(x, off, n), SimdReduce.min(x, off, n), 0.0);
                        if (n > 0) {
                            assertEquals(RefReduce.argmax(x, off, n), SimdReduce.argmax(x, off, n));
                            assertEquals(RefReduce.argmin(x, off, n), SimdReduce.argmin(x, off, n));
                        }
                    }
                });
    }

    @Test
    void simdColumnSumsAreBitwiseTwin() {
        // same row order, each column in double: the two kernels perform identical additions
        qt().withFixedSeed(12L).withExamples(150)
                .forAll(integers().between(0, 40), integers().between(0, 70), integers().between(0, 5), longs().all())
                .checkAssert((rows, cols, pad, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        int ld = cols + pad;
                        MemorySegment x = UnaryTwinTest.uniform(arena, rows * ld + 3, seed, -8f, 8f);
                        double[] a = new double[cols];
                        double[] b = new double[cols];
                        Arrays.fill(a, 0.25);
                        Arrays.fill(b, 0.25);
                        SimdReduce.sumColumns(x, 3, rows, ld, cols, a);
                        RefReduce.sumColumns(x, 3, rows, ld, cols, b);
                        assertArrayEquals(b, a, 0.0);
                    }
                });
    }

    @Test
    void maxAndMinPropagateNaNFromAnyLaneOrTail() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 1; n <= 40; n++) {
                for (int k = 0; k < n; k++) {
                    MemorySegment x = UnaryTwinTest.uniform(arena, n, n * 31L + k, -1f, 1f);
                    x.setAtIndex(F32, k, Float.NaN);
                    assertTrue(Float.isNaN(SimdReduce.max(x, 0, n)), "max n=" + n + " nan at " + k);
                    assertTrue(Float.isNaN(SimdReduce.min(x, 0, n)), "min n=" + n + " nan at " + k);
                    assertTrue(Float.isNaN(RefReduce.max(x, 0, n)));
                    assertEquals(k, RefReduce.argmax(x, 0, n), "first NaN wins argmax");
                    assertEquals(k, RefReduce.argmin(x, 0, n), "first NaN wins argmin");
                }
            }
        }
    }
}
