package dev.tiller.optim;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * The behaviour every Optax-family optimizer must show (modelled on PyTorch's optimizer tests and Optax's suite):
 * save/load mid-run continues bitwise, a hyperparameter change through the record equals a fresh optimizer with
 * that value from then on, convergence on a quadratic and on Rosenbrock, zero gradients leave the weights alone
 * where the algorithm implies it, validation messages, and a first-step law over random shapes and in-range
 * hyperparameters. One subclass per optimizer supplies the algorithm-specific parts.
 *
 * @param <H> the hyperparameter record
 */
abstract class OptaxOptimizerContract<H extends Record> {
    static final long SEED = 20261122L;

    /** A new optimizer over the groups with the given state precisions (F32 for kinds not listed). */
    abstract Optimizer<H> create(List<ParamGroup<H>> groups, Map<String, StatePrecision> precisions);

    /** Ordinary hyperparameters for the state and change tests (weight decay on where the algorithm has it). */
    abstract H typical();

    /** The same record with another value of some hyperparameter (the learning rate, typically). */
    abstract H changed(H h);

    /** Hyperparameters drawn in range from r, for the first-step property. */
    abstract H random(SplittableRandom r);

    /** Asserts the algorithm's law on the first step of one tensor: p0 and g before, p1 after. */
    abstract void checkFirstStep(H h, float[] p0, float[] g, float[] p1);

    /** Hyperparameters and step count that bring the quadratic's loss down by 1e4 (weight decay off). */
    abstract H quadratic();

    abstract int quadraticSteps();

    /** Hyperparameters and step count that bring Rosenbrock from {@link #rosenbrockStart} to f < 1e-3 near (1, 1). */
    abstract H rosenbrock();

    abstract int rosenbrockSteps();

    /** Where Rosenbrock starts: the classic (-1.2, 1) unless the algorithm cannot cross the origin's region. */
    float[] rosenbrockStart() {
        return new float[] {-1.2f, 1f};
    }

    /** Records that must be rejected, with a substring their message must contain ("lr = NaN", ...). */
    abstract Map<String, Supplier<H>> invalid();

    /** The optimizer's name as in messages. */
    abstract String name();

    /** Hyperparameters with weight decay 0, or null when zero gradients still move the weights (Yogi). */
    abstract H zeroDecay();

    // ---------------------------------------------------------------------------------------------------------------

    static ParamRef param(String name, long seed, int... shape) {
        Tensor v = Tensor.allocate(Allocators.auto(), DType.F32, shape);
        v.copyFrom(Tensor.normal(seed, 1, 0f, 1f, shape));
        return new ParamRef(name, v, Tensor.allocate(Allocators.auto(), DType.F32, shape));
    }

    static List<ParamRef> params(long seed) {
        return List.of(param("w", seed, 4, 5), param("b", seed + 1, 5), param("k", seed + 2, 2, 3, 2));
    }

    static List<ParamRef> copy(List<ParamRef> ps) {
        List<ParamRef> out = new ArrayList<>();
        for (ParamRef p : ps) {
            Tensor v = Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape());
            v.copyFrom(p.value());
            out.add(new ParamRef(p.name(), v, Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape())));
        }
        return out;
    }

    /** Gradients of step t: a pull towards 0 plus seeded noise, so runs are reproducible and not degenerate. */
    static void fillGrads(List<ParamRef> ps, int t) {
        for (int i = 0; i < ps.size(); i++) {
            ParamRef p = ps.get(i);
            float[] w = p.value().toFloatArray();
            float[] noise = Tensor.normal(SEED + t, 100 + i, 0f, 0.5f, p.value().shape()).toFloatArray();
            for (int k = 0; k < w.length; k++) {
                noise[k] += 0.3f * w[k];
            }
            p.grad().copyFrom(Tensor.of(noise, p.value().shape()));
        }
    }

    Optimizer<H> over(List<ParamRef> ps) {
        return create(List.of(ParamGroup.of("all", ps)), Map.of());
    }

    static Map<String, Tensor> snapshot(Optimizer<?> o) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        o.state().forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    static void assertBitwise(List<ParamRef> a, List<ParamRef> b, String what) {
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray(),
                    what + ": parameter " + a.get(i).name());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void saveLoadMidRunThenContinueEqualsUninterruptedRun() {
        List<ParamRef> a = params(SEED);
        List<ParamRef> b = copy(a);
        Optimizer<H> oa = over(a);
        Optimizer<H> ob = over(b);
        H h = typical();
        for (int t = 0; t < 6; t++) {
            fillGrads(a, t);
            oa.step(h);
            fillGrads(b, t);
            ob.step(h);
        }
        Map<String, Tensor> saved = snapshot(ob);
        List<ParamRef> c = copy(b);
        Optimizer<H> oc = over(c);
        oc.loadState(saved, ob.stepCount());
        assertEquals(6, oc.stepCount());
        for (int t = 6; t < 12; t++) {
            fillGrads(a, t);
            oa.step(h);
            fillGrads(c, t);
            oc.step(h);
        }
        assertBitwise(a, c, name() + " resumed from state saved at step 6");
    }

    @Test
    void changingHyperparameterEqualsFreshOptimizerWithThatValue() {
        List<ParamRef> a = params(SEED + 10);
        Optimizer<H> oa = over(a);
        H h = typical();
        H h2 = changed(h);
        for (int t = 0; t < 4; t++) {
            fillGrads(a, t);
            oa.step(h);
        }
        List<ParamRef> b = copy(a);
        Optimizer<H> ob = over(b);
        ob.loadState(snapshot(oa), oa.stepCount());
        for (int t = 4; t < 9; t++) {
            fillGrads(a, t);
            oa.step(h2);
            fillGrads(b, t);
            ob.step(h2);
        }
        assertBitwise(a, b, name() + " after switching to " + h2);
        // and the change mattered: the same run without it differs
        List<ParamRef> c = params(SEED + 10);
        Optimizer<H> oc = over(c);
        for (int t = 0; t < 9; t++) {
            fillGrads(c, t);
            oc.step(h);
        }
        assertTrue(!Arrays.equals(a.get(0).value().toFloatArray(), c.get(0).value().toFloatArray()),
                name() + ": changing " + h + " to " + h2 + " changed nothing");
    }

    @Test
    void loadRejectsStateOfWrongShapeNamingTheTensor() {
        Optimizer<H> o = over(params(SEED));
        Optimizer<H> other = over(List.of(param("w", 1, 3, 5), param("b", 2, 5), param("k", 3, 2, 3, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> o.loadState(other.state(), 1));
        assertTrue(e.getMessage().contains("/w'"), e.getMessage());
    }

    @Test
    void convergesOnQuadratic() {
        // f(x) = 1/2 sum a_i (x_i - c_i)^2, a_i in [0.5, 2]; grad = a (x - c)
        ParamRef p = param("x", SEED + 20, 3, 4);
        float[] a = new float[12];
        float[] c = new float[12];
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 12; i++) {
            a[i] = (float) (0.5 + 1.5 * r.nextDouble());
            c[i] = (float) (r.nextDouble() * 2 - 1);
        }
        Optimizer<H> o = over(List.of(p));
        double f0 = quadraticLoss(p, a, c);
        H h = quadratic();
        for (int t = 0; t < quadraticSteps(); t++) {
            for (int i = 0; i < 12; i++) {
                set(p.grad(), i, a[i] * (get(p.value(), i) - c[i]));
            }
            o.step(h);
        }
        double f = quadraticLoss(p, a, c);
        assertTrue(f < 1e-4 * f0, name() + ": quadratic loss " + f0 + " -> " + f);
    }

    private static double quadraticLoss(ParamRef p, float[] a, float[] c) {
        float[] x = p.value().toFloatArray();
        double f = 0;
        for (int i = 0; i < x.length; i++) {
            f += 0.5 * a[i] * (x[i] - c[i]) * (x[i] - c[i]);
        }
        return f;
    }

    @Test
    void convergesOnRosenbrock() {
        // f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1)
        ParamRef p = new ParamRef("xy", Tensor.of(rosenbrockStart(), 2).copy(), Tensor.zeros(2));
        Optimizer<H> o = over(List.of(p));
        H h = rosenbrock();
        for (int t = 0; t < rosenbrockSteps(); t++) {
            float x = get(p.value(), 0);
            float y = get(p.value(), 1);
            set(p.grad(), 0, -2 * (1 - x) - 400 * x * (y - x * x));
            set(p.grad(), 1, 200 * (y - x * x));
            o.step(h);
        }
        float[] v = p.value().toFloatArray();
        double f = Math.pow(1 - v[0], 2) + 100 * Math.pow(v[1] - v[0] * v[0], 2);
        assertTrue(f < 1e-3 && Math.hypot(v[0] - 1, v[1] - 1) < 0.1,
                name() + ": Rosenbrock ends at (" + v[0] + ", " + v[1] + "), f = " + f);
    }

    @Test
    void zeroGradientWithZeroDecayLeavesParametersUnchanged() {
        H h = zeroDecay();
        assumeTrue(h != null,
                name() + " moves weights without gradient (its own test checks how)");
        List<ParamRef> ps = params(SEED + 30);
        List<ParamRef> before = copy(ps);
        Optimizer<H> o = over(ps);
        for (int t = 0; t < 5; t++) {
            for (ParamRef p : ps) {
                p.grad().fill(0f);
            }
            o.step(h);
        }
        for (int i = 0; i < ps.size(); i++) {
            float[] x0 = before.get(i).value().toFloatArray();
            float[] x1 = ps.get(i).value().toFloatArray();
            for (int k = 0; k < x0.length; k++) {
                // Schedule-Free recomputes y from x and z, which rounds: allow 4 ulp; all others are exact
                assertTrue(Math.abs(x1[k] - x0[k]) <= 4 * Math.ulp(x0[k]),
                        name() + ": zero gradient moved " + ps.get(i).name() + "[" + k + "] " + x0[k] + " -> " + x1[k]);
            }
        }
    }

    @Test
    void invalidHyperparametersAreRejectedNamingOptimizerValueAndRange() {
        for (Map.Entry<String, Supplier<H>> e : invalid().entrySet()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.getValue().get(),
                    e.getKey());
            String m = ex.getMessage();
            assertTrue(m.startsWith(name() + ": ") && m.contains(e.getKey()) && m.contains("allowed range"),
                    "message for " + e.getKey() + ": " + m);
        }
    }

    @Test
    void firstStepObeysTheAlgorithmsLawOnRandomShapesAndHyperparameters() {
        qt().withFixedSeed(SEED).withExamples(60)
                .forAll(integers().between(1, 300), integers().between(1, 3), longs().all())
                .checkAssert((n, rank, seed) -> {
                    int[] shape = rank == 1 ? new int[] {n} : rank == 2 ? new int[] {1 + n % 7, 1 + n / 7}
                            : new int[] {2, 1 + n % 5, 1 + n / 25};
                    ParamRef p = param("p", seed, shape);
                    p.grad().copyFrom(Tensor.normal(seed, 2, 0f, 1f, shape));
                    H h = random(new SplittableRandom(seed));
                    float[] p0 = p.value().toFloatArray();
                    float[] g = p.grad().toFloatArray();
                    over(List.of(p)).step(h);
                    checkFirstStep(h, p0, g, p.value().toFloatArray());
                });
    }

    @Test
    void stateSavedAfterRealStepsRoundTripsBitwiseAndTheResumedRunMatches() {
        List<ParamRef> a = params(SEED + 40);
        Optimizer<H> oa = over(a);
        assertTrue(oa.stateBytes() > 0);
        H h = typical();
        for (int t = 0; t < 5; t++) {
            fillGrads(a, t);
            oa.step(h);
        }
        for (Tensor t : oa.state().values()) {
            assertEquals(DType.F32, t.dtype());
        }
        Map<String, Tensor> saved = snapshot(oa);
        assertFalse(bitwiseEqual(saved, snapshot(over(copy(a)))),
                name() + ": five steps left the state where a fresh optimizer starts,"
                        + " so the round trip proves nothing");
        List<ParamRef> b = copy(a);
        Optimizer<H> ob = over(b);
        ob.loadState(saved, oa.stepCount());
        assertTrue(bitwiseEqual(snapshot(oa), snapshot(ob)), name() + ": loaded state differs from the saved one");
        for (int t = 5; t < 9; t++) {
            fillGrads(a, t);
            oa.step(h);
            fillGrads(b, t);
            ob.step(h);
        }
        assertBitwise(a, b, name() + " resumed from state saved after 5 steps");
        assertTrue(bitwiseEqual(snapshot(oa), snapshot(ob)), name() + ": state differs 4 steps after the load");
        assertEquals(oa.stepCount(), ob.stepCount());
    }

    /** True when both maps have the same names and every tensor the same dtype, shape and bits. */
    static boolean bitwiseEqual(Map<String, Tensor> x, Map<String, Tensor> y) {
        if (!x.keySet().equals(y.keySet())) {
            return false;
        }
        for (Map.Entry<String, Tensor> e : x.entrySet()) {
            Tensor u = e.getValue().contiguous();
            Tensor v = y.get(e.getKey()).contiguous();
            long bytes = u.numel() * u.dtype().bytes();
            if (u.dtype() != v.dtype() || !Arrays.equals(u.shape(), v.shape())
                    || u.segment().asSlice(u.offset() * u.dtype().bytes(), bytes)
                    .mismatch(v.segment().asSlice(v.offset() * v.dtype().bytes(), bytes)) != -1) {
                return false;
            }
        }
        return true;
    }

    @Test
    void emptyParametersStepWithoutErrorAndLeaveTheOthersAsWithoutThem() {
        // a parameter with a zero dim has no elements: every per-tensor quantity (norms, trust ratios, sums) must
        // treat it as empty, neither failing nor touching the other parameters' updates
        List<ParamRef> a = new ArrayList<>(params(SEED + 60));
        List<ParamRef> b = copy(a);
        a.add(param("empty", SEED, 0, 3));
        Optimizer<H> oa = over(a);
        Optimizer<H> ob = over(b);
        H h = typical();
        for (int t = 0; t < 4; t++) {
            fillGrads(a, t);
            oa.step(h);
            fillGrads(b, t);
            ob.step(h);
        }
        assertBitwise(b, a.subList(0, b.size()), name() + " with an empty parameter beside the others");
        assertEquals(0, a.get(a.size() - 1).value().numel());
    }

    /**
     * The contract for non-finite gradients: no optimizer screens its gradient (clip or skip the step first, e.g.
     * with DynamicLossScaler), so IEEE arithmetic carries a NaN gradient element into the parameter, as in Optax:
     * that element of the parameter is NaN after the step (per-tensor norms may spread it further).
     */
    @Test
    void aNaNGradientElementMakesItsParameterNaN() {
        qt().withFixedSeed(SEED).withExamples(20)
                .forAll(integers().between(1, 40), integers().between(0, 39), longs().all())
                .checkAssert((n, at, seed) -> {
                    int i = at % n;
                    ParamRef p = param("p", seed, n);
                    p.grad().copyFrom(Tensor.normal(seed, 2, 0f, 1f, n));
                    set(p.grad(), i, Float.NaN);
                    over(List.of(p)).step(typical());
                    assertTrue(Float.isNaN(get(p.value(), i)), name() + ": NaN gradient at " + i + " of " + n
                            + " gave " + get(p.value(), i));
                });
    }

    @Test
    void bfloat16StateHalvesTheBytesAndTracksTheFloat32Run() {
        List<ParamRef> a = params(SEED + 50);
        List<ParamRef> b = copy(a);
        List<ParamRef> start = copy(a);
        Optimizer<H> oa = over(a);
        Map<String, StatePrecision> bf16 = new HashMap<>();
        for (String k : oa.state().keySet()) {
            bf16.put(k.substring(0, k.indexOf('/')), StatePrecision.BF16);
        }
        Optimizer<H> ob = create(List.of(ParamGroup.of("all", b)), bf16);
        assertTrue(ob.stateBytes() < oa.stateBytes() * 0.6, name() + ": " + ob.stateBytes() + " vs " + oa.stateBytes());
        H h = typical();
        for (int t = 0; t < 8; t++) {
            fillGrads(a, t);
            oa.step(h);
            fillGrads(b, t);
            ob.step(h);
        }
        for (int i = 0; i < a.size(); i++) {
            float[] p0 = start.get(i).value().toFloatArray();
            float[] pa = a.get(i).value().toFloatArray();
            float[] pb = b.get(i).value().toFloatArray();
            double moved = 0;
            double size = 0;
            for (int k = 0; k < p0.length; k++) {
                moved = Math.max(moved, Math.abs(pa[k] - p0[k]));
                size = Math.max(size, Math.abs(p0[k]));
            }
            for (int k = 0; k < p0.length; k++) {
                // a coarse check where moments cancel (sign-changing gradients, weight decay), so no relative bound
                // holds: a quarter of the run's largest move plus 2^-6 of the largest weight (state that copies the
                // weights, as Schedule-Free's z, errs by 2^-7 of them per rounding). The derived bound is
                // bfloat16StateTracksTheFloat32RunWithinTheRoundingBound's.
                double tol = 0.25 * moved + 0x1p-6 * size;
                assertTrue(Float.isFinite(pb[k]) && Math.abs(pb[k] - pa[k]) <= tol, name() + " bf16 state: "
                        + a.get(i).name() + "[" + k + "] " + pb[k] + " vs f32 " + pa[k] + " (tol " + tol + ")");
            }
        }
    }

    /** bf16 state against the float32 run, within the bound derived at OptimTestSupport.assertBf16TracksF32. */
    @Test
    void bfloat16StateTracksTheFloat32RunWithinTheRoundingBound() {
        H h = zeroDecay() != null ? zeroDecay() : typical();
        double worst = OptimTestSupport.assertBf16TracksF32(name(), (ps, pr) -> create(List.of(ParamGroup.of("all",
                ps)), pr), h, bf16ExemptKinds());
        if (bf16ChangesWeights()) {
            assertTrue(worst > 0, name() + ": bf16 state changed nothing, so the comparison proves nothing");
        } else {
            assertEquals(0, worst, name() + ": bf16 state changed a weight");
        }
    }

    /**
     * State kinds that stay float32 in the bf16 bound test: copies of the weights (a start point, an averaging
     * iterate), whose rounding error is 2^-7 of the weight rather than of the step, so the bound does not cover
     * them. Each override names its kinds.
     */
    Set<String> bf16ExemptKinds() {
        return Set.of();
    }

    /** False where bf16 state cannot change a weight under the bound test's same-sign gradients (Lion's sign). */
    boolean bf16ChangesWeights() {
        return true;
    }

    // helpers for the laws -----------------------------------------------------------------------------------------

    static float get(Tensor t, long i) {
        return t.segment().getAtIndex(ValueLayout.JAVA_FLOAT, t.offset() + i);
    }

    static void set(Tensor t, long i, float v) {
        t.segment().setAtIndex(ValueLayout.JAVA_FLOAT, t.offset() + i, v);
    }

    static double norm(float[] x) {
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    static float[] diff(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    static float uniform(SplittableRandom r, double lo, double hi) {
        return (float) (lo + (hi - lo) * r.nextDouble());
    }
}
