package dev.tiller.policy.state;

import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ResNet;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Init;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.clip.AutoClip;
import dev.tiller.optim.clip.AutoClipHyper;
import dev.tiller.optim.clip.ClipReport;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.clip.LossScaleHyper;
import dev.tiller.optim.clip.ZClip;
import dev.tiller.optim.clip.ZClipHyper;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.policy.task.ImageTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshot at step k, run to k + n, restore, run to k + n again: the parameters, the optimizer state, every other
 * component's state and the losses are bitwise those of the first pass. Restoring into a freshly built run (same
 * seeds, never stepped) gives the same bits too, so the snapshot holds everything the run carries.
 */
class RunSnapshotTest {
    /** Which clipper a run uses: each stateful kind is exercised by one of the models. */
    private enum Clip { ZCLIP, AUTOCLIP, GLOBAL_NORM }

    /** A minimal training loop with every stateful component the trainer carries. */
    private static final class Run {
        final Task task;
        final List<ParamRef> params;
        final AdamW optimizer;
        final Clip kind;
        final ZClip zclip = new ZClip();
        final AutoClip autoclip = new AutoClip();
        final DynamicLossScaler scaler = new DynamicLossScaler(new LossScaleHyper(1024f, 2.0, 0.5, 3));
        final SampleCursor cursor;
        final RunSnapshotter snapshotter;
        final TensorPool pool = new TensorPool();
        final AdamWHyper hyper = new AdamWHyper(3e-3f, 0.9f, 0.99f, 1e-8f, 0.01f, false, false);
        final ZClipHyper zhyper = ZClipHyper.defaults().withWarmupSteps(3).withZThresh(1.0);
        final AutoClipHyper ahyper = AutoClipHyper.quantileClip(0.5f, 4);

        Run(Task task, Clip kind, StatePrecision statePrecision) {
            this.task = task;
            this.kind = kind;
            this.params = Trainer.paramRefs(task);
            this.optimizer = new AdamW(List.of(ParamGroup.of("all", params)),
                    Map.of("exp_avg", statePrecision, "exp_avg_sq", StatePrecision.F32), null, 5,
                    Amsgrad.WITHOUT_MAX_STATE);
            this.cursor = new SampleCursor(task);
            Object clipper = switch (kind) {
                case ZCLIP -> zclip;
                case AUTOCLIP -> autoclip;
                case GLOBAL_NORM -> GlobalNormClip.l2(0.5f);
            };
            this.snapshotter = RunSnapshotter.builder(task.model(), params, optimizer).clip(clipper).scaler(scaler)
                    .cursor(cursor).build();
        }

        /** One step of micro micro-batches under the loss scale; returns the mean loss. */
        double step(long step, int micro) {
            double loss = 0;
            try (TensorScope scope = TensorScope.open(pool)) {
                for (ParamRef p : params) {
                    p.clearGrad();
                }
                Tensor seed = Tensor.full(scaler.scale() / micro);
                for (int m = 0; m < micro; m++) {
                    Variable l = task.trainLoss(step, cursor.next(step));
                    loss += l.value().item() / micro;
                    l.backward(seed);
                }
                for (ParamRef p : params) {
                    p.settleGrad();
                }
                scaler.unscale(params);
                ClipReport r = switch (kind) {
                    case ZCLIP -> zclip.clip(params, zhyper);
                    case AUTOCLIP -> autoclip.clip(params, ahyper);
                    case GLOBAL_NORM -> GlobalNormClip.l2(0.5f).clip(params);
                };
                assertTrue(r.finite(), "step " + step);
                scaler.step(params, () -> optimizer.step(hyper));
            }
            return loss;
        }

        double[] steps(long from, long to, int micro) {
            double[] out = new double[(int) (to - from)];
            for (long s = from; s < to; s++) {
                out[(int) (s - from)] = step(s, micro);
            }
            return out;
        }
    }

    /** A tiny GPT with dropout, a ResNet with batch norm, the GCN. */
    private static List<Supplier<Run>> runs() {
        return List.of(
                () -> new Run(new GptTask(TextCorpus.synthetic(3, 1 << 14), new GptConfig(256, 16, 16, 1, 2, 0.1f), 4,
                        3, 1), Clip.ZCLIP, StatePrecision.Q8),
                () -> {
                    ResNet m = new ResNet(new Init(4), 1, Shapes.CLASSES, 0.25, 1);
                    return new Run(new ImageTask("resnet", Shapes.make(4, 0, 64, 8), Shapes.make(4, 1 << 20, 16, 8), m,
                            m::forward, 8, 4), Clip.AUTOCLIP, StatePrecision.BF16);
                },
                () -> new Run(new GraphTask(GraphDataset.stochasticBlockModel(5, 60, 3, 0.2, 0.02, 6, 0.4), 8, 2, 5),
                        Clip.GLOBAL_NORM, StatePrecision.F32));
    }

    private static final long K = 4;
    private static final long N = 4;

    @Test
    void restoringASnapshotReplaysTheStepsAfterItBitForBit() {
        for (Supplier<Run> make : runs()) {
            Run run = make.get();
            String what = run.task.name();
            run.steps(0, K, 2);
            try (RunSnapshot at = run.snapshotter.snapshot()) {
                double[] first = run.steps(K, K + N, 2);
                Map<String, Tensor> opt = run.optimizer.state();
                try (TensorSnapshot params = TensorSnapshot.of(TensorState.ofParams(run.params).live());
                     TensorSnapshot optState = TensorSnapshot.of(opt);
                     TensorSnapshot buffers = TensorSnapshot.of(run.task.model().namedBuffers())) {
                    long[] counters = new ModuleState(run.task.model()).counters();
                    Object clip = clipState(run);
                    DynamicLossScaler.State scale = run.scaler.state();
                    long position = run.cursor.position();
                    assertFalse(at.parameters().sameBits(params.tensors()), what + ": the steps changed nothing");

                    run.snapshotter.restore(at);
                    assertTrue(at.parameters().sameBits(TensorState.ofParams(run.params).live()), what);
                    double[] second = run.steps(K, K + N, 2);
                    assertArrayEquals(bits(first), bits(second), what + ": losses " + Arrays.toString(first) + " vs "
                            + Arrays.toString(second));
                    assertTrue(params.sameBits(TensorState.ofParams(run.params).live()), what + ": parameters");
                    assertTrue(optState.sameBits(run.optimizer.state()), what + ": optimizer state");
                    assertTrue(buffers.sameBits(run.task.model().namedBuffers()), what + ": buffers");
                    assertArrayEquals(counters, new ModuleState(run.task.model()).counters(), what + ": dropout");
                    assertEquals(clip, clipState(run), what + ": clipper state");
                    assertEquals(scale, run.scaler.state(), what + ": loss scaler");
                    assertEquals(position, run.cursor.position(), what + ": cursor");
                }
            }
        }
    }

    @Test
    void aFreshRunRestoredFromASnapshotTrainsTheSameBits() {
        for (Supplier<Run> make : runs()) {
            Run a = make.get();
            String what = a.task.name();
            a.steps(0, K, 1);
            try (RunSnapshot at = a.snapshotter.snapshot()) {
                double[] first = a.steps(K, K + N, 1);
                Run b = make.get();              // built from the same seeds, never stepped
                b.snapshotter.restore(at);
                double[] second = b.steps(K, K + N, 1);
                assertArrayEquals(bits(first), bits(second), what);
                try (RunSnapshot endA = a.snapshotter.snapshot()) {
                    assertTrue(endA.parameters().sameBits(TensorState.ofParams(b.params).live()), what);
                    assertTrue(endA.optimizer().tensors().sameBits(b.optimizer.state()), what);
                    assertEquals(endA.optimizer().stepCount(), b.optimizer.stepCount(), what);
                    assertTrue(endA.modules().buffers().sameBits(b.task.model().namedBuffers()), what);
                    assertArrayEquals(endA.modules().counters(), new ModuleState(b.task.model()).counters(), what);
                    assertEquals(endA.scaler(), b.scaler.state(), what);
                    assertEquals(endA.cursor(), b.cursor.snapshot(), what);
                }
            }
        }
    }

    @Test
    void theRunsCarryTheStateTheTestsAreAbout() {
        Run gpt = runs().get(0).get();
        Run resnet = runs().get(1).get();
        gpt.steps(0, K, 1);
        resnet.steps(0, K, 1);
        ModuleState g = new ModuleState(gpt.task.model());
        assertEquals(List.of("drop"), g.counterNames());
        assertTrue(g.counters()[0] > 0, "the GPT's dropout drew no masks");
        assertTrue(gpt.zclip.initialized(), "ZClip is still warming up");
        assertTrue(gpt.optimizer.state().keySet().stream().anyMatch(k -> k.endsWith("#scale")), "no Q8 state");
        Map<String, Tensor> bn = resnet.task.model().namedBuffers();
        assertTrue(bn.containsKey("stem_bn.running_mean") && bn.containsKey("stem_bn.running_var"), bn.keySet()
                .toString());
        assertNotEquals(0f, bn.get("stem_bn.running_mean").toFloatArray()[0], "batch norm statistics never moved");
        assertTrue(resnet.autoclip.history().length > 0);
        assertNotEquals(1024f, gpt.scaler.scale(), "the loss scale never grew");
    }

    @Test
    void rollbackRestoresTheModelButKeepsTheDataCursorMovingForward() {
        Run run = runs().get(2).get();
        run.steps(0, 2, 1);
        try (RunSnapshot at = run.snapshotter.snapshot()) {
            run.steps(2, 5, 1);
            run.snapshotter.rollback(at);
            assertTrue(at.parameters().sameBits(TensorState.ofParams(run.params).live()));
            assertEquals(at.optimizer().stepCount(), run.optimizer.stepCount());
            assertEquals(5, run.cursor.position(), "a rollback skips the batches since the snapshot");
            assertEquals(2, at.cursor().position());
        }
    }

    private static Object clipState(Run run) {
        return switch (run.kind) {
            case ZCLIP -> zclipFields(run.zclip.state());
            case AUTOCLIP -> Arrays.toString(run.autoclip.history());
            case GLOBAL_NORM -> "none";
        };
    }

    /** ZClip.State holds an array, so compare its fields as a list. */
    private static List<Object> zclipFields(ZClip.State s) {
        List<Object> out = new ArrayList<>();
        out.add(Arrays.toString(s.warmupNorms()));
        out.add(s.initialized());
        out.add(Double.doubleToRawLongBits(s.mean()));
        out.add(Double.doubleToRawLongBits(s.var()));
        out.add(s.steps());
        out.add(s.spikes());
        return out;
    }

    private static long[] bits(double[] xs) {
        return Arrays.stream(xs).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
