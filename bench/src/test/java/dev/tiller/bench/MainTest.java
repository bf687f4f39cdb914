package dev.tiller.bench;

import dev.tiller.models.gpt.GptConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bench output format must match the peer's f"{v:.4g}" so compare.sh can pair the keys. */
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
    void workloadsAreRegisteredInRunOrder() {
        assertEquals("[matmul, mlp, convnet, gpt, gpt_d512, gpt_d1024, adamw, probes, policy]",
                Main.WORKLOADS.keySet().toString());
    }

    @Test
    void widerGptsKeepTheReferenceHeadSize() {
        // Only the configurations: the workloads themselves take tens of seconds, so the suite does not run them.
        GptConfig r = GptConfig.reference();
        assertEquals(new GptConfig(256, 128, 512, 4, 8, 0f), TrainStepWorkloads.gptAtWidth(512));
        assertEquals(new GptConfig(256, 128, 1024, 4, 16, 0f), TrainStepWorkloads.gptAtWidth(1024));
        assertEquals(r, TrainStepWorkloads.gptAtWidth(r.width()));
        assertEquals(64, r.width() / r.heads(), "the reference head size the wider models keep");
    }
}
