package dev.tiller.optim;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Laws over random shapes and in-range hyperparameters. Adam's first step is m_hat / (sqrt(v_hat) + eps) with
 * m_hat = g and v_hat = g^2, so every weight moves by lr |g| / (|g| + eps) &lt;= lr (AdamW adds its decay lr wd |p|);
 * Adamax's first step is lr g / (|g| + eps), also &lt;= lr. With lr = 0 no optimizer moves a weight (AdamW's decay
 * factor is then 1 - 0 * wd = 1). Bounds carry a few float roundings, 1e-5 relative.
 */
class FirstStepPropertiesTest {
    private static final long SEED = 20261122L;

    @Test
    void firstAdamStepMovesEachWeightByAtMostLr() {
        qt().withFixedSeed(SEED).withExamples(80)
                .forAll(integers().between(1, 300), floats().between(1e-4f, 1f), floats().between(0f, 0.99f),
                        longs().all())
                .checkAssert((n, lr, b1, seed) -> {
                    float b2 = new float[] {0f, 0.5f, 0.9f, 0.99f, 0.999f, 0.9999f}[(int) Math.floorMod(seed, 6L)];
                    check("Adam", n, seed, lr, 0f, ps -> {
                        Adam o = new Adam(ps);
                        return () -> o.step(AdamHyper.defaults().withLr(lr).withBetas(b1, b2));
                    });
                    check("AdamW", n, seed, lr, 0.1f, ps -> {
                        AdamW o = new AdamW(ps);
                        return () -> o.step(AdamWHyper.defaults().withLr(lr).withBetas(b1, b2).withWeightDecay(0.1f));
                    });
                    check("Adamax", n, seed, lr, 0f, ps -> {
                        Adamax o = new Adamax(ps);
                        return () -> o.step(AdamaxHyper.defaults().withLr(lr).withBetas(b1, b2));
                    });
                });
    }

    /** |p1 - p0| <= lr (1 + wd |p0|) (1 + 1e-5) + ulp for every weight, after one step from random p0 and g. */
    private static void check(String what, int n, long seed, float lr, float wd, Function<List<ParamRef>,
            Runnable> make) {
        Tensor p0 = Tensor.uniform(seed, 0, -2f, 2f, n);
        ParamRef p = new ParamRef("w", p0.copy(), Tensor.uniform(seed, 1, -3f, 3f, n));
        make.apply(List.of(p)).run();
        float[] a = p0.toFloatArray();
        float[] b = p.value().toFloatArray();
        for (int i = 0; i < n; i++) {
            // the new weight is rounded to float: up to one ulp of the weight on top of the step
            double bound = lr * (1 + wd * Math.abs(a[i])) * (1 + 1e-5) + Math.ulp(Math.abs(a[i]) + lr);
            double moved = Math.abs(b[i] - a[i]);
            int at = i;
            assertTrue(moved <= bound, () -> what + " n=" + n + " lr=" + lr + ": weight " + at + " moved " + moved
                    + " > " + bound);
        }
    }

    @Test
    void zeroLearningRateLeavesWeightsUnchanged() {
        qt().withFixedSeed(SEED).withExamples(20)
                .forAll(integers().between(1, 3), integers().between(1, 70), longs().all())
                .checkAssert((rank, d, seed) -> {
                    int[] shape = rank == 1 ? new int[] {d} : rank == 2 ? new int[] {d, 3} : new int[] {2, d, 2};
                    OptimizerSpec.all().forEach(spec -> zeroLr(spec, shape, seed));
                });
    }

    private static <H extends Record> void zeroLr(OptimizerSpec<H> spec, int[] shape, long seed) {
        List<ParamRef> ps = OptimTestSupport.params(seed, shape, new int[] {5});
        float[][] before = OptimTestSupport.values(ps);
        Optimizer<H> o = spec.create(ps);
        H h = spec.withLr().apply(spec.hyper(), 0f);
        for (int t = 0; t < 3; t++) {
            OptimTestSupport.randomGrads(ps, seed, t);
            o.step(h);
        }
        float[][] after = OptimTestSupport.values(ps);
        for (int i = 0; i < before.length; i++) {
            for (int j = 0; j < before[i].length; j++) {
                assertTrue(before[i][j] == after[i][j], spec + ": lr = 0 moved a weight");
            }
        }
        // state keeps its shapes and stays finite
        o.state().forEach((k, v) -> {
            for (float x : v.to(DType.F32).toFloatArray()) {
                assertTrue(Float.isFinite(x), spec + ": state " + k + " not finite");
            }
        });
    }
}
