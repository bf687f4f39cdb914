package dev.tiller.tensor.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache sizes GEMM blocking derives from: the OS's notation, and a usable L2 on any machine. */
class CacheSizesTest {
    @Test
    void parsesTheKernelsSizeNotation() {
        assertEquals(1L << 20, CacheSizes.parseSize("1024K\n"));
        assertEquals(2L << 20, CacheSizes.parseSize("2M"));
        assertEquals(512, CacheSizes.parseSize("512"));
        assertEquals(-1, CacheSizes.parseSize("big"));
    }

    @Test
    void blockSizesFollowTheReportedL2() {
        long l2 = CacheSizes.l2Bytes();
        assertTrue(l2 > 0, "L2 " + l2);
        assertEquals(0, SimdGemm.MC % SimdGemm.MR, "MC must be a multiple of MR");
        assertTrue(SimdGemm.MC >= 24 && SimdGemm.MC <= 384, "MC " + SimdGemm.MC);
        assertTrue((long) SimdGemm.MC * SimdGemm.KC * Float.BYTES <= Math.max(l2, CacheSizes.DEFAULT_L2) / 2,
                "the packed A block fits half the L2: MC " + SimdGemm.MC + ", L2 " + l2);
    }
}
