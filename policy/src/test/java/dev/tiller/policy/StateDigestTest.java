package dev.tiller.policy;

import dev.tiller.policy.recipe.Recipe;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The same seed gives the same SHA-256 of the final state (parameters, optimizer, regime, probes, cursor, ring):
 * over 10 runs, and with 1, 2 and 4 threads on a model whose kernels split across threads.
 */
class StateDigestTest {
    @Test
    void tenRunsOfOneSeedEndInTheSameState(@TempDir Path dir) throws IOException {
        List<String> digests = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ResumeHarness h = ResumeHarness.adaptive();
            h.run(dir.resolve("run" + i), 0, null);
            assertNotNull(h.digest);
            digests.add(h.digest);
        }
        System.out.println("state SHA-256 over 10 runs: " + digests.get(0) + " (" + digests.stream().distinct().count()
                + " distinct)");
        assertEquals(1, digests.stream().distinct().count(), digests.toString());
        ResumeHarness other = new ResumeHarness("adaptive", "nan-grad@13,lr-spike@31x100", Recipe.ADAMW, DType.F32);
        other.run(dir.resolve("other"), 0, null);
        assertNotEquals(digests.get(0), other.digest, "a different run must give a different digest");
    }

    @Test
    void oneTwoAndFourThreadsEndInTheSameState(@TempDir Path dir) throws IOException {
        int old = Parallel.threads();
        List<String> digests = new ArrayList<>();
        try {
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                ResumeHarness h = new ResumeHarness("adaptive", "nan-grad@6", Recipe.ADAMW, DType.F32, true, 12);
                h.run(dir.resolve("t" + threads), 0, null);
                digests.add(h.digest);
            }
        } finally {
            Parallel.setThreads(old);
        }
        System.out.println("state SHA-256 with 1, 2, 4 threads: " + digests);
        assertEquals(1, digests.stream().distinct().count(), digests.toString());
    }
}
