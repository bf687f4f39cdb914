package dev.tiller.autograd;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpTimesTest {
    @Test
    void recordsSumPerKeyUntilReset() {
        OpTimes.reset();
        OpTimes.record("optimizer step", 1_500_000_000L);
        OpTimes.record("optimizer step", 500_000_000L);
        OpTimes.record("forward gelu", 250_000_000L);
        Map<String, double[]> s = OpTimes.snapshot();
        assertArrayEquals(new double[] {2.0, 2}, s.get("optimizer step"), 1e-12);
        assertArrayEquals(new double[] {0.25, 1}, s.get("forward gelu"), 1e-12);
        OpTimes.reset();
        assertTrue(OpTimes.snapshot().isEmpty());
        assertFalse(OpTimes.ENABLED, "off unless -Dtiller.profile=true: the engine pays nothing by default");
    }
}
