package dev.tiller.bench;

import dev.tiller.autograd.Variable;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.probe.Probes;
import dev.tiller.policy.probe.StepProbes;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.task.Moments;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cost of each probe on the GPT workload (reference model, batch 16 x 128 of fixed random bytes, AdamW, one
 * micro-batch): steps with every probe due every step, reporting the median over steps of each probe's measured
 * cost (Probes.costNanos) as probe_NAME_ms, the curvature probe per power iteration (two gradients) as
 * probe_hessian_iter_ms, and the step without probes as probe_gpt_step_ms to compare against. Probes measure their
 * own time separately (the activation observer is closed before the others' extra passes), so one run serves all.
 * update_ratio's cost is the statistics' share of the optimizer's fused pass, summed over threads.
 * The probes get the optimizer and its hyperparameters as the trainer passes them, so under AdamW the curvature
 * probe measures the preconditioned sharpness, as in training.
 */
final class ProbeWorkload {
    static final int HESSIAN_ITERATIONS = 2;
    private static final List<String> PROBES = List.of(Probes.LAYER_NORMS, Probes.UPDATE_RATIO, Probes.NOISE,
            Probes.HESSIAN, Probes.SATURATION, Probes.INPUT_STATS, Probes.FRESH_LOSS);
    private static final int WARM = 3;
    private static final int N = 3;

    private ProbeWorkload() {}

    /** The bench GPT as a task: fixed training batch, a second fixed batch as the probe stream. */
    static final class FixedGpt implements Task {
        private final Gpt model = new Gpt(GptConfig.reference(), 0);
        private final Tensor[] train = batch(3);
        private final Tensor[] probe = batch(5);

        private static Tensor[] batch(long stream) {
            int[] ids = new int[16 * 129];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = Philox.below(0, stream, i, 256);
            }
            int[] in = new int[16 * 128];
            int[] tg = new int[16 * 128];
            for (int b = 0; b < 16; b++) {
                System.arraycopy(ids, b * 129, in, b * 128, 128);
                System.arraycopy(ids, b * 129 + 1, tg, b * 128, 128);
            }
            return new Tensor[] {Tensor.ofInts(in, 16, 128), Tensor.ofInts(tg, 16, 128)};
        }

        @Override
        public String name() {
            return "gpt-bench";
        }

        @Override
        public Module model() {
            return model;
        }

        @Override
        public Variable trainLoss(long step, long cursor) {
            return model.loss(train[0], train[1]);
        }

        @Override
        public Optional<Variable> probeLoss(long step, long index) {
            return Optional.of(model.loss(probe[0], probe[1]));
        }

        @Override
        public Optional<double[]> lastInputStats() {
            return Optional.of(Moments.of(train[0].toIntArray()));
        }

        @Override
        public Map<String, Double> evaluate() {
            return Map.of();
        }

        @Override
        public long itemsPerMicroBatch() {
            return 16 * 128;
        }

        @Override
        public String unit() {
            return "tokens";
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of();
        }
    }

    static void run(Main.Report out) {
        out.put("probe_gpt_step_ms", 1e3 * medians(StepProbes.none(), WARM, N).get("step"));
        Map<String, Double> m = medians(Probes.of(new ProbePlan(1, 1, 1, 1, HESSIAN_ITERATIONS, 1, 1, 1)), WARM, N);
        for (String probe : PROBES) {
            if (probe.equals(Probes.HESSIAN)) {
                out.put("probe_hessian_iter_ms", 1e3 * m.get(probe) / HESSIAN_ITERATIONS);
            } else {
                out.put("probe_" + probe + "_ms", 1e3 * m.get(probe));
            }
        }
    }

    /**
     * Seconds per step ("step": the whole step) and per probe (its costNanos growth): medians over n steps after warm
     * untimed ones, on a fresh FixedGpt.
     */
    static Map<String, Double> medians(StepProbes probes, int warm, int n) {
        Task task = new FixedGpt();
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamW opt = new AdamW(params);
        AdamWHyper h = AdamWHyper.defaults().withLr(3e-4f);
        Map<String, double[]> t = new LinkedHashMap<>();
        t.put("step", new double[n]);
        try (TensorPool pool = new TensorPool()) {
            for (int step = 0; step < warm + n; step++) {
                Map<String, Long> before = probes.costNanos();
                long t0 = System.nanoTime();
                try (TensorScope scope = TensorScope.open(pool)) {
                    params.forEach(ParamRef::clearGrad);
                    probes.beforeStep(step, task, params);
                    task.trainLoss(step, step).backward();
                    probes.afterMicroBatch(step, 0, task, params);
                    params.forEach(ParamRef::settleGrad);
                    probes.afterBackward(step, task, params, opt, h);   // as the trainer calls it
                    opt.recordUpdateStats(probes.updateStats(step));
                    opt.step(h);
                    probes.afterUpdate(step, true, params);
                    probes.collect(step);
                }
                long spent = System.nanoTime() - t0;
                if (step >= warm) {
                    int k = step - warm;
                    t.get("step")[k] = spent / 1e9;
                    probes.costNanos().forEach((name, ns) ->
                            t.computeIfAbsent(name, x -> new double[n])[k] = (ns - before.get(name)) / 1e9);
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        t.forEach((name, v) -> out.put(name, Main.median(v)));
        return out;
    }
}
