package dev.tiller.optim;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Precision;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stochastic bfloat16 rounding of optimizer state: unbiased, keyed by (seed, stream, index), thread-independent. */
class StochasticBf16Test {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;

    @Test
    void stochasticRoundingIsUnbiasedInExpectation() {
        // v sits 0.3 of the way from bf16 neighbour lo = 1 to hi = 1 + 2^-7. Each rounding is hi with probability
        // p = (dropped 16 bits) / 2^16 (exactly, for uniform random bits), so E = v and the mean of N roundings has
        // standard deviation 2^-7 sqrt(p (1 - p) / N); allow 5 sigma.
        float v = Float.intBitsToFloat(0x3f800000 + (int) (0.3 * 0x10000));
        int n = 200_000;
        try (Tensor x = Tensor.full(v, n); Tensor y = Tensor.zeros(DType.BF16, n)) {
            StochasticBf16.round(x, y, 42L, 9L);
            float[] r = y.toFloatArray();
            double mean = 0;
            for (float f : r) {
                assertTrue(f == 1f || f == 1f + 0x1p-7f, "only the two neighbours: " + f);
                mean += f;
            }
            mean /= n;
            double p = (v - 1.0) / 0x1p-7;
            double sigma = 0x1p-7 * Math.sqrt(p * (1 - p) / n);
            assertEquals(v, mean, 5 * sigma, "mean of stochastic roundings");
            assertTrue(Math.abs(Precision.fromBf16(Precision.toBf16(v)) - v) > 50 * sigma,
                    "round-to-nearest is biased by far more, so the test can tell them apart");
        }
    }

    @Test
    void roundingIsIndependentOfThreadCountAndKeyedByIndex() {
        int old = Parallel.threads();
        try (Tensor x = Tensor.uniform(1, 2, -3f, 3f, 3, 40000)) {
            short[][] got = new short[3][];
            int[] threads = {1, 2, 4};
            for (int t = 0; t < 3; t++) {
                Parallel.setThreads(threads[t]);
                try (Tensor y = Tensor.zeros(DType.BF16, 3, 40000)) {
                    StochasticBf16.round(x, y, 7L, 1L);
                    got[t] = y.segment().asSlice(0, 2L * 120000).toArray(I16);
                }
            }
            assertArrayEquals(got[0], got[1]);
            assertArrayEquals(got[0], got[2]);
            // and element i used Philox.bits(7, 1, i)
            float x5 = x.getFloat(1, 5);
            assertEquals(Precision.toBf16Stochastic(x5, Philox.bits(7L, 1L, 40005)), got[0][40005]);
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void rejectsWhatStateNeverIs() {
        try (Tensor x = Tensor.zeros(4, 3); Tensor y = Tensor.zeros(DType.BF16, 4, 3);
             Tensor f = Tensor.zeros(12)) {
            assertThrows(IllegalArgumentException.class, () -> StochasticBf16.round(x.t(), y, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> StochasticBf16.round(x, f, 1, 1));
        }
    }
}
