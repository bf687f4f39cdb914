package dev.tiller.policy.probe;

import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ResNet;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Init;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.ImageTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every probe on every step trains the same bits as no probes: parameters, per-step losses, and validation (which in
 * eval mode reads the batch-norm running statistics) after a few steps, on a GPT with dropout (one and two
 * micro-batches) and a ResNet with batch norm. The hooks are called in the trainer's order.
 */
class ProbesLeaveRunUnchangedTest {
    static final ProbePlan EVERY_STEP = new ProbePlan(1, 1, 1, 1, 2, 1, 1, 1);

    /** What a run left: parameter bits, per-step losses, final validation, and the probes' signals per step. */
    record Run(List<float[]> params, List<Float> losses, Map<String, Double> eval, List<Signals> signals) {}

    /**
     * The trainer's order of hook calls (Trainer.step), AdamW (given to afterBackward, so the curvature probe is
     * preconditioned), k micro-batches seeded 1/k.
     */
    static Run train(Task task, StepProbes probes, int steps, int k) {
        return train(task, probes, steps, k, 1f);
    }

    /**
     * As {@link #train(Task, StepProbes, int, int)} with micro-batches seeded scale/k and the scale divided out of
     * the gradients before afterBackward, as the trainer does with a loss scale.
     */
    static Run train(Task task, StepProbes probes, int steps, int k, float scale) {
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamW opt = new AdamW(params);
        AdamWHyper h = AdamWHyper.defaults().withLr(3e-3f).withWeightDecay(0.1f);
        Tensor seed = Tensor.full(scale / k);
        List<Float> losses = new ArrayList<>();
        List<Signals> signals = new ArrayList<>();
        for (long step = 0; step < steps; step++) {
            params.forEach(ParamRef::clearGrad);
            probes.beforeStep(step, task, params);
            for (int m = 0; m < k; m++) {
                Variable l = task.trainLoss(step, step * k + m);     // the cursor of data that never shifts
                losses.add(l.value().item());
                l.backward(seed);
                probes.afterMicroBatch(step, m, task, params);
            }
            params.forEach(ParamRef::settleGrad);
            if (scale != 1f) {
                for (ParamRef p : params) {
                    float[] g = p.grad().toFloatArray();
                    for (int i = 0; i < g.length; i++) {
                        g[i] /= scale;
                    }
                    p.grad().copyFrom(Tensor.of(g, p.grad().shape()));
                }
            }
            probes.afterBackward(step, task, params, opt, h);     // the trainer's call: AdamW preconditions
            signals.add(probes.collect(step));                    // the trainer decides before the update
            opt.recordUpdateStats(probes.updateStats(step));
            opt.step(h);
            probes.afterUpdate(step, true, params);
        }
        List<float[]> values = new ArrayList<>();
        params.forEach(p -> values.add(p.value().toFloatArray()));
        task.model().train(false);
        Map<String, Double> eval = task.evaluate();
        task.model().train(true);
        return new Run(values, losses, eval, signals);
    }

    static void assertSameBits(Run a, Run b, String what) {
        assertEquals(a.losses(), b.losses(), what + ": losses");
        assertEquals(a.eval(), b.eval(), what + ": validation");
        for (int k = 0; k < a.params().size(); k++) {
            float[] x = a.params().get(k);
            float[] y = b.params().get(k);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]),
                        what + ": parameter " + k + "[" + i + "]");
            }
        }
    }

    static GptTask gpt(float dropout) {
        return new GptTask(TextCorpus.synthetic(3, 1 << 14), new GptConfig(256, 16, 32, 1, 2, dropout), 4, 3, 1);
    }

    static ImageTask resnet() {
        ResNet m = new ResNet(new Init(5), 1, Shapes.CLASSES, 0.25, 1);
        return new ImageTask("resnet", Shapes.make(5, 0, 64, 12), Shapes.make(5, 1 << 20, 16, 12), m, m::forward,
                8, 5);
    }

    private static void check(String what, Supplier<Task> task, int k, List<String> expected) {
        int steps = 3;
        Run plain = train(task.get(), StepProbes.none(), steps, k);
        Probes probes = Probes.of(EVERY_STEP);
        Run probed = train(task.get(), probes, steps, k);
        assertSameBits(plain, probed, what);
        for (int t = 0; t < steps; t++) {
            Signals s = probed.signals().get(t);
            for (String name : expected) {
                if (t == 0 && (name.equals(Signals.HESSIAN_TOP) || name.startsWith(Signals.UPDATE_RATIO))) {
                    // AdamW has no preconditioner before its first update, so the curvature probe waits; an update
                    // ratio is measured in an update and collected with the next step's signals
                    assertFalse(s.has(name), what + ": " + name + " at step 0 in " + s);
                    continue;
                }
                assertTrue(s.has(name), what + ": " + name + " missing from " + s);
                assertTrue(Double.isFinite(s.get(name)), what + ": " + name + " = " + s.get(name));
            }
            if (t > 0 && expected.contains(Signals.HESSIAN_TOP)) {
                assertEquals(1.0, s.get(Signals.HESSIAN_PRECONDITIONED), what + ": " + s);
            }
        }
        for (String probe : List.of(Probes.LAYER_NORMS, Probes.UPDATE_RATIO, Probes.NOISE, Probes.HESSIAN,
                Probes.SATURATION, Probes.INPUT_STATS, Probes.FRESH_LOSS)) {
            assertTrue(probes.costNanos().get(probe) > 0, what + ": cost of " + probe);
        }
    }

    @Test
    void gptWithDropoutOneMicroBatch() {
        check("gpt k=1", () -> gpt(0.1f), 1, List.of(Signals.FRESH_LOSS, Signals.GNS_G2, Signals.GNS_TRACE,
                Signals.GNS_BATCH, Signals.HESSIAN_TOP, Signals.SATURATION, Signals.ATTN_ENTROPY, Signals.INPUT_MEAN,
                Signals.INPUT_STD, Signals.UPDATE_RATIO, "update_ratio/blocks.0.mlp.fc.weight",
                "grad_norm/head.weight"));
    }

    @Test
    void gptWithDropoutTwoMicroBatches() {
        check("gpt k=2", () -> gpt(0.1f), 2, List.of(Signals.GNS_G2, Signals.GNS_TRACE, Signals.HESSIAN_TOP,
                Signals.ATTN_ENTROPY, Signals.UPDATE_RATIO));
    }

    @Test
    void resnetWithBatchNorm() {
        check("resnet k=1", ProbesLeaveRunUnchangedTest::resnet, 1, List.of(Signals.DEAD_RELU, Signals.GNS_G2,
                Signals.HESSIAN_TOP, Signals.FRESH_LOSS, Signals.INPUT_STD, "grad_norm/stem_bn.weight"));
    }
}
