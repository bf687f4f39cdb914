package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.tiller.optim.OptimTestSupport.bitwiseEqual;
import static dev.tiller.optim.OptimTestSupport.copyOf;
import static dev.tiller.optim.OptimTestSupport.params;
import static dev.tiller.optim.OptimTestSupport.randomGrads;
import static dev.tiller.optim.OptimTestSupport.snapshot;
import static dev.tiller.optim.OptimTestSupport.stateValues;
import static dev.tiller.optim.OptimTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Behaviour every PyTorch-family optimizer shares, modelled on PyTorch's optimizer tests (test_optim.py): save and
 * load mid-run, hyperparameter changes through the record, maximize, zero gradients, convergence on a quadratic
 * and on Rosenbrock, state in bfloat16 (against the float32 run), non-finite gradients and empty parameters. Each
 * runs over every configuration of OptimizerSpec.all().
 */
class OptimizerBehaviourTest {
    private static final long SEED = 20261122L;
    private static final int[][] SHAPES = {{3, 5}, {7}, {1}};

    static Stream<OptimizerSpec<?>> specs() {
        return OptimizerSpec.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void saveAndLoadMidRunContinuesBitwise(OptimizerSpec<?> spec) {
        saveLoad(spec);
    }

    private static <H extends Record> void saveLoad(OptimizerSpec<H> spec) {
        List<ParamRef> a = params(SEED, SHAPES);
        List<ParamRef> b = copyOf(a);
        Optimizer<H> oa = spec.create(a);
        Optimizer<H> ob = spec.create(b);
        for (int t = 0; t < 4; t++) {
            randomGrads(a, SEED, t);
            oa.step(spec.hyper());
            randomGrads(b, SEED, t);
            ob.step(spec.hyper());
        }
        // b's state and values go to a brand-new optimizer over new parameter memory
        Map<String, Tensor> saved = snapshot(ob.state());
        List<ParamRef> c = copyOf(b);
        Optimizer<H> oc = spec.create(c);
        oc.loadState(saved, ob.stepCount());
        for (int t = 4; t < 9; t++) {
            randomGrads(a, SEED, t);
            oa.step(spec.hyper());
            randomGrads(c, SEED, t);
            oc.step(spec.hyper());
        }
        assertTrue(bitwiseEqual(values(a), values(c)), spec + ": resumed run differs from the uninterrupted one");
        assertTrue(bitwiseEqual(stateValues(oa.state()), stateValues(oc.state())), spec + ": state differs");
        assertEquals(oa.stepCount(), oc.stepCount());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void changingHyperparametersEqualsAFreshOptimizerWithTheNewValues(OptimizerSpec<?> spec) {
        hyperChange(spec);
    }

    private static <H extends Record> void hyperChange(OptimizerSpec<H> spec) {
        H h2 = spec.changed().apply(spec.hyper());
        List<ParamRef> a = params(SEED, SHAPES);
        List<ParamRef> b = copyOf(a);
        List<ParamRef> unchanged = copyOf(a);
        Optimizer<H> oa = spec.create(a);
        Optimizer<H> ob = spec.create(b);
        Optimizer<H> ou = spec.create(unchanged);
        for (int t = 0; t < 3; t++) {
            randomGrads(a, SEED, t);
            oa.step(spec.hyper());
            randomGrads(b, SEED, t);
            ob.step(spec.hyper());
            randomGrads(unchanged, SEED, t);
            ou.step(spec.hyper());
        }
        // a fresh optimizer built around the new record, carrying b's state: no hyperparameter is cached anywhere
        List<ParamRef> c = copyOf(b);
        Optimizer<H> oc = spec.create(c);
        oc.loadState(snapshot(ob.state()), ob.stepCount());
        for (int t = 3; t < 6; t++) {
            randomGrads(a, SEED, t);
            oa.step(h2);
            randomGrads(c, SEED, t);
            oc.step(h2);
            randomGrads(unchanged, SEED, t);
            ou.step(spec.hyper());
        }
        assertTrue(bitwiseEqual(values(a), values(c)), spec + ": changed record differs from a fresh optimizer");
        assertFalse(bitwiseEqual(values(a), values(unchanged)), spec + ": the changed record had no effect");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void maximizingEqualsMinimizingTheNegatedGradient(OptimizerSpec<?> spec) {
        maximize(spec);
    }

    private static <H extends Record> void maximize(OptimizerSpec<H> spec) {
        List<ParamRef> a = params(SEED, SHAPES);
        List<ParamRef> b = copyOf(a);
        Optimizer<H> oa = spec.create(a);
        Optimizer<H> ob = spec.create(b);
        H max = spec.maximized().apply(spec.hyper());
        for (int t = 0; t < 5; t++) {
            randomGrads(a, SEED, t);
            oa.step(max);
            randomGrads(b, SEED, t);
            for (ParamRef p : b) {
                float[] g = p.grad().toFloatArray();
                for (int i = 0; i < g.length; i++) {
                    g[i] = -g[i];
                }
                p.grad().copyFrom(Tensor.of(g, p.value().shape()));
            }
            ob.step(spec.hyper());
        }
        assertTrue(bitwiseEqual(values(a), values(b)), spec + ": maximize differs from descent on -grad");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void zeroGradientWithoutDecayLeavesParametersUnchanged(OptimizerSpec<?> spec) {
        zeroGrad(spec);
    }

    private static <H extends Record> void zeroGrad(OptimizerSpec<H> spec) {
        List<ParamRef> a = params(SEED, SHAPES);
        float[][] before = values(a);
        Optimizer<H> o = spec.create(a);
        H h = spec.noDecay().apply(spec.hyper());
        for (int t = 0; t < 5; t++) {
            o.step(h);                                   // grads are zero-initialised
        }
        assertTrue(bitwiseEqual(before, values(a)), spec + ": a zero gradient moved the parameters");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void convergesOnAQuadratic(OptimizerSpec<?> spec) {
        quadratic(spec, Map.of());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void convergesOnAQuadraticWithBf16State(OptimizerSpec<?> spec) {
        quadratic(spec, Map.of("exp_avg", StatePrecision.BF16, "exp_avg_sq", StatePrecision.BF16,
                "momentum_buffer", StatePrecision.BF16, "square_avg", StatePrecision.BF16, "sum",
                StatePrecision.BF16, "exp_inf", StatePrecision.BF16, "acc_delta", StatePrecision.BF16));
    }

    /** bf16 state against the float32 run, within the bound derived at OptimTestSupport.assertBf16TracksF32. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void bf16StateTracksTheFloat32RunWithinTheRoundingBound(OptimizerSpec<?> spec) {
        bf16AgainstF32(spec);
    }

    private static <H extends Record> void bf16AgainstF32(OptimizerSpec<H> spec) {
        // NAdam's one-element "mu_product" stays float32: a product of step sizes, not a moment, whose error
        // 1 - prod amplifies tenfold
        double worst = OptimTestSupport.assertBf16TracksF32(spec.toString(), spec.make(),
                spec.noDecay().apply(spec.hyper()), Set.of("mu_product"));
        assertTrue(worst > 0, spec + ": bf16 state changed nothing, so the comparison proves nothing");
    }

    /**
     * The contract for non-finite gradients (PyTorch's, as no optimizer here screens its gradient; clip or skip the
     * step first, e.g. with DynamicLossScaler): every PyTorch-family update is element-wise, so a NaN or infinite
     * gradient element makes that element's weight non-finite after the step (NaN, or an infinity for a
     * plain step such as SGD's), and every other weight is exactly what it would be had that element's gradient
     * been 0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void aNonFiniteGradientElementPoisonsOnlyItsOwnWeight(OptimizerSpec<?> spec) {
        qt().withFixedSeed(SEED).withExamples(15)
                .forAll(integers().between(1, 50), integers().between(0, 49), integers().between(0, 2), longs().all())
                .checkAssert((n, at, kind, seed) -> nonFinite(spec, n, at % n,
                        new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[kind], seed));
    }

    private static <H extends Record> void nonFinite(OptimizerSpec<H> spec, int n, int at, float bad, long seed) {
        List<ParamRef> a = params(seed, new int[] {n});
        List<ParamRef> b = copyOf(a);
        Optimizer<H> oa = spec.create(a);
        Optimizer<H> ob = spec.create(b);
        for (int t = 0; t < 3; t++) {
            randomGrads(a, seed, t);
            randomGrads(b, seed, t);
            float[] g = a.get(0).grad().toFloatArray();
            float[] z = g.clone();
            if (t == 1) {
                g[at] = bad;
                z[at] = 0f;
            }
            a.get(0).grad().copyFrom(Tensor.of(g, n));
            b.get(0).grad().copyFrom(Tensor.of(z, n));
            oa.step(spec.hyper());
            ob.step(spec.hyper());
        }
        float[] x = a.get(0).value().toFloatArray();
        float[] y = b.get(0).value().toFloatArray();
        assertFalse(Float.isFinite(x[at]), spec + ": gradient " + bad + " at " + at + " left the weight " + x[at]);
        for (int i = 0; i < n; i++) {
            if (i != at) {
                assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(x[i]),
                        spec + ": gradient " + bad + " at " + at + " changed weight " + i);
            }
        }
    }

    /** Parameters with a zero dim have no elements: stepping them is a no-op beside the other parameters. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void emptyParametersStepWithoutErrorBesideTheOthers(OptimizerSpec<?> spec) {
        empty(spec);
    }

    private static <H extends Record> void empty(OptimizerSpec<H> spec) {
        List<ParamRef> a = params(SEED, new int[] {0}, new int[] {4, 3}, new int[] {3, 0});
        List<ParamRef> b = List.of(copyOf(a).get(1));
        Optimizer<H> oa = spec.create(a);
        Optimizer<H> ob = spec.create(b);
        for (int t = 0; t < 3; t++) {
            randomGrads(a, SEED, t);
            b.get(0).grad().copyFrom(a.get(1).grad());
            oa.step(spec.hyper());
            ob.step(spec.hyper());
        }
        assertTrue(bitwiseEqual(values(b), new float[][] {a.get(1).value().toFloatArray()}),
                spec + ": the empty parameters changed the other's update");
        assertEquals(0, a.get(0).value().numel() + a.get(2).value().numel());
    }

    /** f(w) = sum_i a_i (w_i - c_i)^2 / 2 over 40 weights, curvatures a_i in [0.5, 2]; grad = a (w - c). */
    private static <H extends Record> void quadratic(OptimizerSpec<H> spec, Map<String, StatePrecision> precisions) {
        int n = 40;
        float[] a = Tensor.uniform(SEED, 1, 0.5f, 2f, n).toFloatArray();
        float[] c = Tensor.uniform(SEED, 2, -1f, 1f, n).toFloatArray();
        List<ParamRef> ps = List.of(new ParamRef("w", Tensor.uniform(SEED, 3, -3f, 3f, n), Tensor.zeros(n)));
        Optimizer<H> o = spec.make().apply(ps, precisions);
        H h = spec.noDecay().apply(spec.hyper());
        double f0 = quadraticLoss(ps.get(0), a, c);
        for (int t = 0; t < 600; t++) {
            float[] w = ps.get(0).value().toFloatArray();
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = a[i] * (w[i] - c[i]);
            }
            ps.get(0).grad().copyFrom(Tensor.of(g, n));
            o.step(h);
        }
        double f = quadraticLoss(ps.get(0), a, c);
        assertTrue(f < 1e-2 * f0, spec + " " + precisions.values() + ": loss " + f0 + " -> " + f);
    }

    private static double quadraticLoss(ParamRef p, float[] a, float[] c) {
        float[] w = p.value().toFloatArray();
        double f = 0;
        for (int i = 0; i < w.length; i++) {
            f += 0.5 * a[i] * (w[i] - c[i]) * (w[i] - c[i]);
        }
        return f;
    }

    /**
     * Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2) (f = 12.5), as PyTorch's test_rosenbrock:
     * the minimum (1, 1) sits in a curved valley that punishes a badly scaled step.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void convergesOnRosenbrock(OptimizerSpec<?> spec) {
        rosenbrock(spec);
    }

    private static <H extends Record> void rosenbrock(OptimizerSpec<H> spec) {
        List<ParamRef> ps = List.of(new ParamRef("xy", Tensor.of(new float[] {-1.5f, 2f}, 2), Tensor.zeros(2)));
        Optimizer<H> o = spec.create(ps);
        H h = spec.withLr().apply(spec.noDecay().apply(spec.hyper()), spec.rosenbrockLr());
        double f0 = rosen(ps.get(0).value().toFloatArray());
        for (int t = 0; t < 3000; t++) {
            float[] xy = ps.get(0).value().toFloatArray();
            float x = xy[0];
            float y = xy[1];
            float gx = -2 * (1 - x) - 400 * x * (y - x * x);
            float gy = 200 * (y - x * x);
            ps.get(0).grad().copyFrom(Tensor.of(new float[] {gx, gy}, 2));
            o.step(h);
        }
        float[] xy = ps.get(0).value().toFloatArray();
        double f = rosen(xy);
        assertTrue(f < 0.05 * f0 && Float.isFinite(xy[0]), spec + ": Rosenbrock " + f0 + " -> " + f + " at ("
                + xy[0] + ", " + xy[1] + ")");
    }

    private static double rosen(float[] xy) {
        double x = xy[0];
        double y = xy[1];
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }
}
