package dev.tiller.policy.probe;

import dev.tiller.autograd.Variable;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.GptTask;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The noise probe's pieces equal the estimator applied to gradients computed one by one: with two micro-batches,
 * their two gradients; with one, the step's gradient and that of probe-stream batch step + 1.
 */
class NoiseProbeTest {
    private static final ProbePlan NOISE_ONLY = new ProbePlan(0, 0, 1, 0, 1, 0, 0, 0);

    /** The gradient of loss alone, flattened over the parameters. */
    private static double[] gradient(List<ParamRef> params, Supplier<Variable> loss) {
        params.forEach(ParamRef::clearGrad);
        loss.get().backward();
        List<Double> out = new ArrayList<>();
        for (ParamRef p : params) {
            p.settleGrad();
            for (float f : p.grad().toFloatArray()) {
                out.add((double) f);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static NoiseScale.Estimate direct(double[] a, double[] b, double batch, double big) {
        double small = 0;
        double mean = 0;
        for (int i = 0; i < a.length; i++) {
            small += 0.5 * (a[i] * a[i] + b[i] * b[i]);
            double m = 0.5 * (a[i] + b[i]);
            mean += m * m;
        }
        return NoiseScale.estimate(small, batch, mean, big);
    }

    private static void assertClose(NoiseScale.Estimate want, Signals got) {
        assertEquals(want.g2(), got.get(Signals.GNS_G2), 1e-3 * Math.abs(want.g2()), "gns_g2 in " + got);
        assertEquals(want.trace(), got.get(Signals.GNS_TRACE), 1e-3 * Math.abs(want.trace()), "gns_trace in " + got);
    }

    @Test
    void twoMicroBatchesUseTheirOwnGradients() {
        GptTask reference = ProbesLeaveRunUnchangedTest.gpt(0f);
        List<ParamRef> rp = Trainer.paramRefs(reference);
        double[] g0 = gradient(rp, () -> reference.trainLoss(0, 0));
        double[] g1 = gradient(rp, () -> reference.trainLoss(0, 1));       // cursors 0 and 1: step 0's two
        double b = reference.itemsPerMicroBatch();

        GptTask task = ProbesLeaveRunUnchangedTest.gpt(0f);
        ProbesLeaveRunUnchangedTest.Run run = ProbesLeaveRunUnchangedTest.train(task, Probes.of(NOISE_ONLY), 1, 2);
        Signals s = run.signals().get(0);
        assertEquals(b, s.get(Signals.GNS_BATCH));
        assertClose(direct(g0, g1, b, 2 * b), s);
    }

    @Test
    void aLossScaleOnTheMicroBatchGradientsIsDividedOut() {
        ProbePlan plan = new ProbePlan(1, 0, 1, 0, 1, 0, 0, 0);
        for (int k = 1; k <= 2; k++) {
            Signals plain = ProbesLeaveRunUnchangedTest.train(ProbesLeaveRunUnchangedTest.gpt(0f), Probes.of(plan), 1,
                    k).signals().get(0);
            Signals scaled = ProbesLeaveRunUnchangedTest.train(ProbesLeaveRunUnchangedTest.gpt(0f), Probes.of(plan),
                    1, k, 1024f).signals().get(0);
            assertEquals(plain.asMap().keySet(), scaled.asMap().keySet());
            for (String name : plain.asMap().keySet()) {
                // a power-of-two scale is exact on every gradient element: equal up to the division's rounding
                assertEquals(plain.get(name), scaled.get(name), 1e-9 * Math.abs(plain.get(name)), name + " k=" + k);
            }
        }
    }

    @Test
    void oneMicroBatchAddsAFreshProbeBatch() {
        GptTask reference = ProbesLeaveRunUnchangedTest.gpt(0f);
        List<ParamRef> rp = Trainer.paramRefs(reference);
        double[] g = gradient(rp, () -> reference.trainLoss(0, 0));
        double[] fresh = gradient(rp, () -> reference.probeLoss(0, 1).orElseThrow());
        double b = reference.itemsPerMicroBatch();

        GptTask task = ProbesLeaveRunUnchangedTest.gpt(0f);
        ProbesLeaveRunUnchangedTest.Run run = ProbesLeaveRunUnchangedTest.train(task, Probes.of(NOISE_ONLY), 1, 1);
        assertClose(direct(g, fresh, b, 2 * b), run.signals().get(0));
    }
}
