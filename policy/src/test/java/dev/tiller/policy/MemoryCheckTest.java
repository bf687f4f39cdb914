package dev.tiller.policy;

import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.task.GptTask;
import dev.tiller.tensor.OffHeapLimitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory estimate made before a run: extrapolated from batches of 4 and 8, it lands within a factor of 2 of what
 * a real step at batch 48 reserves, and measuring leaves the run's bits alone; a pool limit stops a step that would
 * grow past it with an error instead of the operating system's kill.
 */
class MemoryCheckTest {
    private static GptTask gpt(int batch) {
        return new GptTask(TextCorpus.synthetic(5, 1 << 16), new GptConfig(256, 32, 64, 2, 4, 0.1f), batch, 5, 1);
    }

    private static TrainState<AdamWHyper> oneStep(GptTask task, Path dir, long limit) {
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamWHyper h = new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
        Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, x -> h, KnobBinding.adamW(),
                GlobalNormClip.l2(1f), new Trainer.Settings(2, 1, 0)).poolLimit(limit);
        RunLog log = new RunLog(dir, Map.of());
        TrainState<AdamWHyper> s = t.start(log, null);
        t.step(s);
        return s;
    }

    @Test
    void theEstimateIsWithinAFactorOfTwoOfARealStep(@TempDir Path dir) {
        GptTask task = gpt(48);
        long estimate = MemoryCheck.stepBytes(task, 48, 1, Trainer.paramRefs(task)).orElseThrow();
        long actual;
        try (TrainState<AdamWHyper> s = oneStep(task, dir.resolve("a"), Long.MAX_VALUE)) {
            actual = s.poolReservedBytes();
            s.log().close();
        }
        System.out.printf("memory estimate at batch 48: %d bytes; a real step reserved %d%n", estimate, actual);
        assertTrue(estimate >= actual / 2 && estimate <= 2 * actual, estimate + " vs " + actual);
    }

    @Test
    void measuringLeavesTheRunsBitsAlone(@TempDir Path dir) {
        GptTask measured = gpt(16);
        MemoryCheck.stepBytes(measured, 16, 1, Trainer.paramRefs(measured));
        GptTask plain = gpt(16);
        try (TrainState<AdamWHyper> a = oneStep(measured, dir.resolve("m"), Long.MAX_VALUE);
             TrainState<AdamWHyper> b = oneStep(plain, dir.resolve("p"), Long.MAX_VALUE)) {
            assertEquals(RunCheckpoint.sha256(b), RunCheckpoint.sha256(a));
            a.log().close();
            b.log().close();
        }
    }

    @Test
    void aStepPastThePoolLimitFailsWithTheLimit(@TempDir Path dir) {
        OffHeapLimitException e = assertThrows(OffHeapLimitException.class,
                () -> oneStep(gpt(48), dir.resolve("l"), 1 << 20));
        assertTrue(e.getMessage().contains("the limit is 0.0 GB") && e.wanted() > e.limit(), e.getMessage());
    }
}
