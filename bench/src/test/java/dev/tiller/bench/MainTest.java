package dev.tiller.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench output format must match torch_ref.py's f"{v:.4g}" so compare.sh can pair the keys. */
class MainTest {
    @Test
    void formatsLikePythonFourSignificantDigits() {
        // Expected strings are Python's: f"{v:.4g}" for each v.
        assertEquals("53.28", Main.format4g(53.28));
        assertEquals("1234", Main.format4g(1234.5));          // half-even on the exact binary value
        assertEquals("0.0001234", Main.format4g(0.00012345));
        assertEquals("1.235e+07", Main.format4g(12345678));
        assertEquals("1e-05", Main.format4g(1e-5));
        assertEquals("1e+05", Main.format4g(99995));
        assertEquals("2", Main.format4g(2.0));
        assertEquals("0.5", Main.format4g(0.5));
    }

    @Test
    void matmulIsRegistered() {
        assertTrue(Main.WORKLOADS.containsKey("matmul"));
    }
}
