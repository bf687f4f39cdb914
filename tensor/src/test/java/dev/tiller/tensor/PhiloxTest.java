package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PhiloxTest {
    /** Random123's tests/kat_vectors, the three "philox4x32 10" lines: counter[4] key[2] -> output[4]. */
    @Test
    void blockMatchesRandom123KnownAnswers() {
        int[][][] kat = {
            {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
            {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
            {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
                {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
        };
        int[] out = new int[4];
        for (int[][] v : kat) {
            Philox.block(v[0][0], v[0][1], v[0][2], v[0][3], v[1][0], v[1][1], out);
            assertArrayEquals(v[2], out);
        }
    }

    @Test
    void bitsIndexesTheBlockStreamByCounterAndLane() {
        // index = 4 * counter + lane; counter -> words (0, 1), stream -> words (2, 3), seed -> key (lo, hi)
        long[][] cases = {{0x299f31d0a4093822L, 0x0370734413198a2eL, 0x05a308d3243f6a88L}, {1, 2, 3}, {-1, -1, 0}};
        int[] out = new int[4];
        for (long[] c : cases) {
            long seed = c[0];
            long stream = c[1];
            long counter = c[2];
            Philox.block((int) counter, (int) (counter >>> 32), (int) stream, (int) (stream >>> 32),
                    (int) seed, (int) (seed >>> 32), out);
            for (int lane = 0; lane < 4; lane++) {
                assertEquals(out[lane], Philox.bits(seed, stream, counter * 4 + lane));
            }
        }
    }

    @Test
    void uniformIsInUnitIntervalWithTheRightMean() {
        int n = 200_000;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(42, 3, i);
            assertTrue(u >= 0f && u < 1f, "u=" + u);
            sum += u;
        }
        // mean of U(0,1) is 1/2 with standard error sqrt(1/12/n) ~ 6.5e-4; allow 5 standard errors
        assertEquals(0.5, sum / n, 5 * Math.sqrt(1.0 / 12 / n));
    }

    @Test
    void normalHasUnitVarianceAndStreamsDiffer() {
        int n = 200_000;
        double s1 = 0;
        double s2 = 0;
        for (int i = 0; i < n; i++) {
            double z = Philox.normal(7, 1, i);
            s1 += z;
            s2 += z * z;
        }
        double mean = s1 / n;
        // standard errors: mean 1/sqrt(n) ~ 2.2e-3, variance sqrt(2/n) ~ 3.2e-3; 5 of each
        assertEquals(0.0, mean, 5 / Math.sqrt(n));
        assertEquals(1.0, s2 / n - mean * mean, 5 * Math.sqrt(2.0 / n));
        assertTrue(Philox.bits(7, 1, 0) != Philox.bits(7, 2, 0) || Philox.bits(7, 1, 1) != Philox.bits(7, 2, 1));
    }

    @Test
    void drawsAreRecomputableWithoutCarriedState() {
        Tensor a = Tensor.uniform(5, 9, -1f, 1f, 1000);
        // element 777 recomputed from its key alone
        assertEquals(-1f + 2f * Philox.uniform(5, 9, 777), a.getFloat(777));
    }

    @Test
    void belowStaysInRange() {
        for (int i = 0; i < 10_000; i++) {
            int v = Philox.below(1, 2, i, 7);
            assertTrue(v >= 0 && v < 7);
        }
    }
}
