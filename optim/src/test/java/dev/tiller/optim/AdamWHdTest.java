package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW-HD: AdamW when hypergradLr = 0, Baydin's rule otherwise, checked against a double-precision reference. */
class AdamWHdTest {
    private static List<ParamGroup<AdamWHdHyper>> hdGroups(List<ParamRef> ps) {
        return List.of(ParamGroup.of("decay", ps.subList(0, 1)),
                new ParamGroup<>("no_decay", ps.subList(1, ps.size()), h -> h.withWeightDecay(0f)));
    }

    private static List<ParamGroup<AdamWHyper>> adamWGroups(List<ParamRef> ps) {
        return List.of(ParamGroup.of("decay", ps.subList(0, 1)),
                new ParamGroup<>("no_decay", ps.subList(1, ps.size()), h -> h.withWeightDecay(0f)));
    }

    @Test
    void withHypergradLrZeroItIsAdamWBitForBit() {
        List<ParamRef> a = OptimTestSupport.params(7, new int[] {5, 3}, new int[] {17});
        List<ParamRef> b = OptimTestSupport.copyOf(a);
        AdamW adamW = new AdamW(adamWGroups(a), Map.of(), null, 3, Amsgrad.WITHOUT_MAX_STATE);
        AdamWHd hd = new AdamWHd(hdGroups(b), Map.of(), null, 3);
        for (int t = 1; t <= 12; t++) {
            OptimTestSupport.randomGrads(a, 11, t);
            OptimTestSupport.randomGrads(b, 11, t);
            AdamWHyper h = AdamWHyper.defaults().withLr(0.01f * (1 + t % 4)).withWeightDecay(0.1f);   // a schedule
            adamW.step(h);
            hd.step(AdamWHdHyper.of(h, 0f));
            assertTrue(OptimTestSupport.bitwiseEqual(OptimTestSupport.values(a), OptimTestSupport.values(b)),
                    "weights differ at step " + t);
            for (String k : adamW.state().keySet()) {
                assertTrue(OptimTestSupport.bitwiseEqual(new float[][] {adamW.state().get(k).toFloatArray()},
                        new float[][] {hd.state().get(k).toFloatArray()}), k + " differs at step " + t);
            }
            assertEquals(1.0, hd.lrMultiplier());
        }
    }

    /** Steps AdamW-HD on f(x) = x^2 / 2 (g = x) from x0; returns {gradient, multiplier after the step} per step. */
    private static List<double[]> quadratic(float x0, AdamWHdHyper h, int steps) {
        ParamRef x = new ParamRef("x", Tensor.of(new float[] {x0}, 1), Tensor.zeros(1));
        AdamWHd opt = new AdamWHd(List.of(x));
        List<double[]> out = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            float g = x.value().getFloat(0);
            x.grad().setFloat(g, 0);
            opt.step(h);
            out.add(new double[] {g, opt.lrMultiplier()});
        }
        return out;
    }

    @Test
    void onAQuadraticTheMultiplierGrowsWhileTheGradientKeepsItsSignAndShrinksWhenItAlternates() {
        // Small steps from x0 = 1: the gradient stays positive, so does the Adam direction, and every h_t > 0.
        List<double[]> steady = quadratic(1f, new AdamWHdHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1e-5f), 30);
        for (int t = 1; t < steady.size(); t++) {
            assertTrue(steady.get(t)[0] > 0, "the premise: the gradient kept its sign");
            assertTrue(steady.get(t)[1] > steady.get(t - 1)[1], "step " + (t + 1) + ": " + steady.get(t)[1]);
        }
        assertEquals(1.0, steady.get(0)[1], "u_0 = 0, so the first step leaves the multiplier at 1");
        // Steps far too long (lr 3 from x0 = 1, beta1 = 0 so the direction is the gradient's sign): x overshoots
        // back and forth; each step the sign flips, h_t = g_t u_{t-1} < 0 and the multiplier falls.
        List<double[]> bouncing = quadratic(1f, new AdamWHdHyper(3f, 0f, 0.999f, 1e-8f, 0f, 1e-2f), 8);
        for (int t = 1; t < bouncing.size(); t++) {
            assertTrue(bouncing.get(t)[0] * bouncing.get(t - 1)[0] < 0, "the premise: the sign alternated");
            assertTrue(bouncing.get(t)[1] < bouncing.get(t - 1)[1], "step " + (t + 1) + ": " + bouncing.get(t)[1]);
        }
    }

    /**
     * An independent scalar reference in double over two parameters in two groups (decay and no decay), with a
     * changing lr, weight decay and a hypergradLr large enough to move the multiplier by tens of percent. Tolerance:
     * float32 computes each step's update with about ten roundings of 2^-24 each, so the update is within 1e-6 of
     * its magnitude, and the weight gets two roundings (decay, update) of half an ulp each; errors add over steps.
     * The multiplier sums beta / lr g u over the elements with u from float32 moments: within 1e-5 of that sum's
     * absolute terms.
     */
    @Test
    void matchesADoublePrecisionReference() {
        int[] sizes = {6, 4};
        List<ParamRef> ps = OptimTestSupport.params(21, new int[] {sizes[0]}, new int[] {sizes[1]});
        double[][] p = {toDoubles(ps.get(0).value()), toDoubles(ps.get(1).value())};
        double[][] m = {new double[6], new double[4]};
        double[][] v = {new double[6], new double[4]};
        double[][] u = {new double[6], new double[4]};
        double mult = 1;
        double multScale = 0;
        double[][] tol = {new double[6], new double[4]};
        AdamWHd opt = new AdamWHd(hdGroups(ps), Map.of(), null, 0);
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double wd = 0.1;
        double beta = 1e-3;
        for (int t = 1; t <= 8; t++) {
            OptimTestSupport.randomGrads(ps, 5, t);
            double lr = 0.01 * (1 + 0.25 * t);
            opt.step(new AdamWHdHyper((float) lr, (float) b1, (float) b2, (float) eps, (float) wd, (float) beta));
            double[][] g = {toDoubles(ps.get(0).grad()), toDoubles(ps.get(1).grad())};
            double h = 0;
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < sizes[j]; i++) {
                    h += g[j][i] * u[j][i];
                    multScale += beta / lr * Math.abs(g[j][i] * u[j][i]);
                }
            }
            mult += beta * h / lr;
            double alpha = lr * mult;
            for (int j = 0; j < 2; j++) {
                double decay = j == 0 ? wd : 0;
                for (int i = 0; i < sizes[j]; i++) {
                    m[j][i] = b1 * m[j][i] + (1 - b1) * g[j][i];
                    v[j][i] = b2 * v[j][i] + (1 - b2) * g[j][i] * g[j][i];
                    double mHat = m[j][i] / (1 - Math.pow(b1, t));
                    double vHat = v[j][i] / (1 - Math.pow(b2, t));
                    u[j][i] = mHat / (Math.sqrt(vHat) + eps);
                    double before = p[j][i];
                    p[j][i] = before * (1 - alpha * decay) - alpha * u[j][i];
                    tol[j][i] += 1e-6 * Math.abs(p[j][i] - before) + Math.ulp((float) Math.abs(before));
                }
            }
            assertEquals(mult, opt.lrMultiplier(), 1e-5 * multScale, "multiplier at step " + t);
            for (int j = 0; j < 2; j++) {
                float[] got = ps.get(j).value().toFloatArray();
                for (int i = 0; i < sizes[j]; i++) {
                    assertEquals(p[j][i], got[i], tol[j][i], "p" + j + "[" + i + "] at step " + t);
                }
            }
        }
        assertTrue(Math.abs(mult - 1) > 0.05, "the multiplier moved: " + mult);
    }

    private static double[] toDoubles(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void stateRoundTripsBitwiseAndTheResumedRunMatchesTheUninterruptedOne() {
        AdamWHdHyper h = AdamWHdHyper.defaults().withLr(0.02f).withHypergradLr(1e-3f);
        List<ParamRef> a = OptimTestSupport.params(3, new int[] {4, 4}, new int[] {9});
        AdamWHd first = new AdamWHd(hdGroups(a), Map.of(), null, 1);
        for (int t = 1; t <= 4; t++) {
            OptimTestSupport.randomGrads(a, 2, t);
            first.step(h);
        }
        assertTrue(first.lrMultiplier() != 1.0, "the multiplier moved");
        Map<String, Tensor> saved = OptimTestSupport.snapshot(first.state());
        assertTrue(saved.containsKey(AdamWHd.MULTIPLIER) && saved.containsKey("prev_direction/p0"), saved.keySet()
                .toString());
        List<ParamRef> b = OptimTestSupport.copyOf(a);
        AdamWHd resumed = new AdamWHd(hdGroups(b), Map.of(), null, 1);
        resumed.loadState(saved, first.stepCount());
        assertEquals(Double.doubleToRawLongBits(first.lrMultiplier()), Double.doubleToRawLongBits(
                resumed.lrMultiplier()));
        for (String k : first.state().keySet()) {
            if (!k.equals(AdamWHd.MULTIPLIER)) {
                assertTrue(OptimTestSupport.bitwiseEqual(new float[][] {first.state().get(k).toFloatArray()},
                        new float[][] {resumed.state().get(k).toFloatArray()}), k);
            }
        }
        for (int t = 5; t <= 8; t++) {
            OptimTestSupport.randomGrads(a, 2, t);
            OptimTestSupport.randomGrads(b, 2, t);
            first.step(h);
            resumed.step(h);
            assertTrue(OptimTestSupport.bitwiseEqual(OptimTestSupport.values(a), OptimTestSupport.values(b)),
                    "step " + t);
            assertEquals(Double.doubleToRawLongBits(first.lrMultiplier()), Double.doubleToRawLongBits(
                    resumed.lrMultiplier()), "step " + t);
        }
    }

    @Test
    void hyperparametersAreValidatedAndDefaultToAdamWsWithTheReferenceHypergradLr() {
        assertEquals(new AdamWHdHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, 1e-8f), AdamWHdHyper.defaults());
        String msg = assertThrows(IllegalArgumentException.class, () -> AdamWHdHyper.defaults().withHypergradLr(-1f))
                .getMessage();
        assertTrue(msg.contains("AdamWHd: hypergradLr = -1.0") && msg.contains("[0, +inf)"), msg);
        assertThrows(IllegalArgumentException.class, () -> AdamWHdHyper.of(AdamWHyper.defaults().withAmsgrad(true),
                0f));
        assertEquals(AdamWHyper.defaults(), AdamWHdHyper.defaults().asAdamW());
    }
}
