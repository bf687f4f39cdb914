package dev.tiller.policy.state;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ByteWindows;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Sgd;
import dev.tiller.optim.SgdHyper;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The data position counts micro-batches: whatever the micro-batches per step, none is skipped or repeated. */
class SampleCursorTest {
    /** A task that records the (step, cursor) of every training micro-batch the trainer draws. */
    private static final class Recording implements Task {
        final List<long[]> draws = new ArrayList<>();
        final ShiftingStream<String> shift;
        final Module m = new Module() {
            final Variable w = param("w", Tensor.ones(2), false);
        };

        Recording(ShiftingStream<String> shift) {
            this.shift = shift;
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public Module model() {
            return m;
        }

        @Override
        public Variable trainLoss(long step, long cursor) {
            draws.add(new long[] {step, cursor});
            Variable w = m.namedParameters().get("w");
            return F.sum(F.mul(w, w));
        }

        @Override
        public Map<String, Double> evaluate() {
            return Map.of();
        }

        @Override
        public Optional<ShiftingStream<?>> shift() {
            return Optional.ofNullable(shift);
        }

        @Override
        public long itemsPerMicroBatch() {
            return 1;
        }

        @Override
        public String unit() {
            return "samples";
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of();
        }

        long[] cursors() {
            return draws.stream().mapToLong(d -> d[1]).toArray();
        }

        long[] steps() {
            return draws.stream().mapToLong(d -> d[0]).toArray();
        }
    }

    private static Recording train(ShiftingStream<String> shift, long steps, int micro, Path dir) {
        Recording task = new Recording(shift);
        List<ParamRef> params = Trainer.paramRefs(task);
        SgdHyper h = new SgdHyper(0.01f, 0f, 0f, 0f, false, false);
        Trainer<SgdHyper> t = new Trainer<>(task, new Sgd(params), params, s -> h, KnobBinding.sgd(), null,
                new Trainer.Settings(steps, micro, 0));
        try (RunLog log = new RunLog(dir, Map.of())) {
            t.run(log, null);
        }
        return task;
    }

    private static ShiftingStream<String> twoPhases(long shiftAt) {
        return ShiftingStream.of("ab", List.of("a", "b"), d -> Map.of("data", d), shiftAt);
    }

    @Test
    void oneOrTwoMicroBatchesPerStepDrawTheSameSequenceOfCursors(@TempDir Path dir) {
        Recording one = train(null, 6, 1, dir.resolve("one"));
        Recording two = train(null, 3, 2, dir.resolve("two"));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, one.cursors());
        assertArrayEquals(one.cursors(), two.cursors());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, one.steps());
        assertArrayEquals(new long[] {0, 0, 1, 1, 2, 2}, two.steps());
    }

    @Test
    void eachPhaseOfShiftingDataCountsFromZero(@TempDir Path dir) {
        Recording one = train(twoPhases(2), 4, 1, dir.resolve("one"));
        assertArrayEquals(new long[] {0, 1, 0, 1}, one.cursors(), "one micro-batch per step: the step in the phase");
        Recording two = train(twoPhases(2), 4, 2, dir.resolve("two"));
        assertArrayEquals(new long[] {0, 1, 2, 3, 0, 1, 2, 3}, two.cursors());
    }

    @Test
    void changingMicroBatchesPerStepNeitherSkipsNorRepeats() {
        SampleCursor c = new SampleCursor((ShiftingStream<?>) null);
        int[] perStep = {1, 3, 2, 1};
        List<Long> drawn = new ArrayList<>();
        for (int step = 0; step < perStep.length; step++) {
            for (int m = 0; m < perStep[step]; m++) {
                long ahead = c.peek(step, 0);
                drawn.add(c.next(step));
                assertEquals(ahead, drawn.get(drawn.size() - 1));
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), drawn);
        assertEquals(7, c.position());
    }

    @Test
    void aShiftRestartsTheCursorWhereverItFalls() {
        SampleCursor c = new SampleCursor(twoPhases(2));
        int[] perStep = {3, 1, 2, 2};
        List<Long> drawn = new ArrayList<>();
        for (int step = 0; step < perStep.length; step++) {
            if (step == 2) {
                assertEquals(0, c.peek(step, 0), "the first micro-batch of phase 1");
                assertEquals(4, c.peek(1, 0), "still phase 0 at step 1");
            }
            for (int m = 0; m < perStep[step]; m++) {
                drawn.add(c.next(step));
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 0L, 1L, 2L, 3L), drawn);
        assertEquals(new SampleCursor.State(8, 1, 4), c.snapshot());
    }

    @Test
    void aRestoredCursorDrawsWhatItWouldHaveDrawn() {
        SampleCursor c = new SampleCursor(twoPhases(3));
        for (int step = 0; step < 2; step++) {
            c.next(step);
            c.next(step);
        }
        SampleCursor.State at = c.snapshot();
        long[] first = {c.next(2), c.next(3), c.next(3), c.next(4)};
        c.restore(at);
        long[] second = {c.next(2), c.next(3), c.next(3), c.next(4)};
        assertArrayEquals(first, second);
        assertArrayEquals(new long[] {4, 0, 1, 2}, first);
        assertThrows(IllegalArgumentException.class, () -> c.restore(new SampleCursor.State(3, 2, 0)));
        assertThrows(IllegalArgumentException.class, () -> new SampleCursor.State(3, 0, 4));
    }

    @Test
    void theGptCursorDrawsTheWindowsTheStepKeyedTaskDrewForOneMicroBatchPerStep() {
        TextCorpus corpus = TextCorpus.synthetic(9, 1 << 14);
        GptConfig cfg = new GptConfig(256, 16, 16, 1, 2, 0f);
        GptTask task = new GptTask(corpus, cfg, 4, 9, 1);
        // the step-keyed draw: window batch (step in phase) * 2^16 + micro of the training split's stream 1
        ByteWindows windows = new ByteWindows(corpus.train(), 4, 16, ShiftingStream.phaseSeed(9, 0), 1);
        for (long step = 0; step < 5; step++) {
            assertArrayEquals(windows.batch(step << 16).inputs().toIntArray(),
                    task.trainBatch(step, step).inputs().toIntArray(), "step " + step);
        }
    }
}
