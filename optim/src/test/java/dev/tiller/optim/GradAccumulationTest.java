package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * k micro-batch gradients averaged by GradAccumulator give the same optimizer step as one batch's mean gradient,
 * for every optimizer configuration. With dyadic per-example gradients (multiples of 2^-10 below 2, batch 8 in
 * 4 micro-batches of 2) every sum and power-of-two scaling is exact in float32, so the two runs must agree bit for
 * bit. With per-example least-squares gradients in general position the means differ by float rounding only,
 * a few ulp of the gradient, which each optimizer turns into at most a few ulp-relative change of a step of size
 * about lr: over 8 steps of lr &lt;= 0.5 the weights agree to 1e-5.
 */
class GradAccumulationTest {
    private static final long SEED = 20261122L;
    private static final int BATCH = 8;
    private static final int MICRO = 4;
    private static final int PER_MICRO = BATCH / MICRO;
    private static final int DIM = 6;

    static Stream<OptimizerSpec<?>> specs() {
        return Stream.concat(OptimizerSpec.all(), Stream.of(
                accumulationOnly("Lion", (ps, pr) -> new Lion(OptimizerSpec.one(ps), pr, null, 3), LionHyper.of(1e-2f)),
                accumulationOnly("LAMB", (ps, pr) -> new Lamb(OptimizerSpec.one(ps), pr, null, 3), LambHyper.of(1e-2f)),
                accumulationOnly("LARS", (ps, pr) -> new Lars(OptimizerSpec.one(ps), pr, null, 3), LarsHyper.of(1e-1f)),
                accumulationOnly("AdaBelief", (ps, pr) -> new AdaBelief(OptimizerSpec.one(ps), pr, null, 3),
                        AdaBeliefHyper.of(1e-2f)),
                accumulationOnly("Yogi", (ps, pr) -> new Yogi(OptimizerSpec.one(ps), pr, null, 3, 1e-6f),
                        YogiHyper.of(1e-2f)),
                accumulationOnly("Adan", (ps, pr) -> new Adan(OptimizerSpec.one(ps), pr, null, 3), AdanHyper.of(1e-2f)),
                accumulationOnly("NovoGrad", (ps, pr) -> new NovoGrad(OptimizerSpec.one(ps), pr, null, 3),
                        NovoGradHyper.of(1e-2f)),
                accumulationOnly("ScheduleFreeAdamW", (ps, pr) -> new ScheduleFreeAdamW(OptimizerSpec.one(ps), pr,
                        null, 3), ScheduleFreeAdamWHyper.of(1e-2f)),
                accumulationOnly("Prodigy", (ps, pr) -> new Prodigy(OptimizerSpec.one(ps), pr, null, 3),
                        ProdigyHyper.of(1f)),
                accumulationOnly("Adafactor", (ps, pr) -> new Adafactor(OptimizerSpec.one(ps), pr, null, 3),
                        AdafactorHyper.defaults()),
                accumulationOnly("Shampoo", (ps, pr) -> new Shampoo(OptimizerSpec.one(ps), ShampooHyper.of(1e-2f), pr,
                        null, 3), ShampooHyper.of(1e-2f)),
                accumulationOnly("Muon", (ps, pr) -> new Muon(OptimizerSpec.one(ps), pr, null, 3),
                        MuonHyper.defaults())));
    }

    /** A spec for this test only: it uses make and hyper; the behaviour-test variants are identities. */
    private static <H extends Record> OptimizerSpec<H> accumulationOnly(String name,
            BiFunction<List<ParamRef>, Map<String, StatePrecision>,
                    Optimizer<H>> make, H hyper) {
        return new OptimizerSpec<>(name, make, hyper, h -> h, h -> h, h -> h, (h, lr) -> h, 0f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void accumulatedDyadicGradientsGiveTheSameStepBitwise(OptimizerSpec<?> spec) {
        run(spec, true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void accumulatedLeastSquaresGradientsMatchTheFullBatch(OptimizerSpec<?> spec) {
        run(spec, false);
    }

    private static <H extends Record> void run(OptimizerSpec<H> spec, boolean dyadic) {
        // Muon takes matrices only: the same six weights as a 2 x 3 matrix
        int[] shape = spec.name().equals("Muon") ? new int[] {2, 3} : new int[] {DIM};
        List<ParamRef> full = OptimTestSupport.params(SEED, shape);
        List<ParamRef> micro = OptimTestSupport.copyOf(full);
        Optimizer<H> of = spec.create(full);
        Optimizer<H> om = spec.create(micro);
        GradAccumulator acc = new GradAccumulator(micro);
        float[][] x = new float[BATCH][];
        for (int b = 0; b < BATCH; b++) {
            x[b] = Tensor.uniform(SEED, 100 + b, -1f, 1f, DIM).toFloatArray();
        }
        float[] y = Tensor.uniform(SEED, 99, -1f, 1f, BATCH).toFloatArray();
        for (int t = 0; t < 8; t++) {
            float[][] perExampleFull = perExample(full.get(0), x, y, t, dyadic);
            full.get(0).grad().copyFrom(Tensor.of(mean(perExampleFull, 0, BATCH), shape));
            of.step(spec.hyper());

            float[][] perExampleMicro = perExample(micro.get(0), x, y, t, dyadic);
            for (int k = 0; k < MICRO; k++) {
                micro.get(0).grad().copyFrom(Tensor.of(mean(perExampleMicro, k * PER_MICRO, PER_MICRO), shape));
                acc.add();
            }
            acc.finish();
            om.step(spec.hyper());
        }
        float[] a = full.get(0).value().toFloatArray();
        float[] b = micro.get(0).value().toFloatArray();
        for (int i = 0; i < DIM; i++) {
            if (dyadic) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]),
                        spec + ": weight " + i + " full " + a[i] + " accumulated " + b[i]);
            } else {
                assertTrue(Math.abs(a[i] - b[i]) <= 1e-5, spec + ": weight " + i + " full " + a[i]
                        + " accumulated " + b[i]);
            }
        }
    }

    /**
     * Per-example gradients: dyadic ones are a fixed function of (example, step); least-squares ones are
     * (w . x_b - y_b) x_b, the gradient of (w . x_b - y_b)^2 / 2 at the current weights.
     */
    private static float[][] perExample(ParamRef w, float[][] x, float[] y, int step, boolean dyadic) {
        float[] wv = w.value().toFloatArray();
        float[][] out = new float[x.length][DIM];
        for (int b = 0; b < x.length; b++) {
            if (dyadic) {
                float[] u = Tensor.uniform(SEED, 1000L * step + b, -1f, 1f, DIM).toFloatArray();
                for (int i = 0; i < DIM; i++) {
                    out[b][i] = Math.round(u[i] * 1024f) / 1024f;
                }
            } else {
                float r = -y[b];
                for (int i = 0; i < DIM; i++) {
                    r += wv[i] * x[b][i];
                }
                for (int i = 0; i < DIM; i++) {
                    out[b][i] = r * x[b][i];
                }
            }
        }
        return out;
    }

    /** Mean of rows [from, from + count): the sum in row order, times 1 / count. */
    private static float[] mean(float[][] rows, int from, int count) {
        float[] s = new float[DIM];
        for (int b = from; b < from + count; b++) {
            for (int i = 0; i < DIM; i++) {
                s[i] += rows[b][i];
            }
        }
        for (int i = 0; i < DIM; i++) {
            s[i] *= 1f / count;
        }
        return s;
    }

    @Test
    void finishWithoutMicroBatchesIsAnError() {
        GradAccumulator acc = new GradAccumulator(OptimTestSupport.params(1, new int[] {2}));
        IllegalStateException e = assertThrows(IllegalStateException.class, acc::finish);
        assertTrue(e.getMessage().contains("before any add()"), e.getMessage());
    }
}
