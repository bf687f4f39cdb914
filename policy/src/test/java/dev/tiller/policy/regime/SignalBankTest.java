package dev.tiller.policy.regime;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignalBankTest {
    private static final SignalBank BANK = SignalBank.of(RegimeSpec.staticRegime());

    private static Signals sig(Object... kv) {
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return Signals.of(m);
    }

    /** Runs the bank over measurements, one per step; returns the final result. */
    private static SignalBank.Result run(SignalBank bank, Signals[] steps) {
        SignalBank.State s = bank.initial();
        SignalBank.Result r = null;
        for (int t = 0; t < steps.length; t++) {
            r = bank.update(s, t, steps[t]);
            s = r.state();
        }
        return r;
    }

    @Test
    void spikesStayOutOfTheStatisticsAndTheEmas() {
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 300;
        Signals[] spiky = new Signals[n];
        Signals[] absent = new Signals[n];
        SignalBank.State s = BANK.initial();
        for (int t = 0; t < n; t++) {
            double loss = 2 + 0.02 * rnd.nextGaussian();
            boolean spike = t > 40 && t % 37 == 0;
            spiky[t] = spike ? sig(Signals.LOSS, 100.0) : sig(Signals.LOSS, loss);
            absent[t] = spike ? Signals.empty() : sig(Signals.LOSS, loss);
            SignalBank.Result r = BANK.update(s, t, spiky[t]);
            s = r.state();
            assertEquals(spike ? 1.0 : 0.0, r.derived().get(Derived.ANOMALY), "step " + t);
        }
        SignalBank.Result a = run(BANK, spiky);
        SignalBank.Result b = run(BANK, absent);
        // A spike beyond the outlier threshold leaves the statistics exactly as if the step had no loss at all.
        assertEquals(b.state().loss().mean(), a.state().loss().mean());
        assertEquals(b.state().loss().var(), a.state().loss().var());
        assertEquals(b.derived().get(Derived.LOSS_EMA_LONG), a.derived().get(Derived.LOSS_EMA_LONG));
        assertEquals(b.derived().get(Derived.LOSS_EMA_SHORT), a.derived().get(Derived.LOSS_EMA_SHORT));
        assertEquals(2.0, a.derived().get(Derived.LOSS_EMA_LONG), 0.02);
    }

    @Test
    void aLastingLevelChangeIsAdmittedAfterMaxExcluded() {
        SignalBank.Params p = BANK.params();
        SignalBank.State s = BANK.initial();
        SplittableRandom rnd = new SplittableRandom(3);
        long t = 0;
        for (; t < 100; t++) {
            s = BANK.update(s, t, sig(Signals.LOSS, 1 + 0.01 * rnd.nextGaussian())).state();
        }
        double before = s.loss().mean();
        for (int i = 0; i < p.maxExcluded(); i++, t++) {
            s = BANK.update(s, t, sig(Signals.LOSS, 5.0)).state();
            assertEquals(before, s.loss().mean(), "outlier " + i + " stays out");
        }
        s = BANK.update(s, t, sig(Signals.LOSS, 5.0)).state();
        assertTrue(s.loss().mean() > before, "the level is let in after " + p.maxExcluded() + " outliers");
    }

    @Test
    void aFastFallIsNeverExcluded() {
        SignalBank.State s = BANK.initial();
        SplittableRandom rnd = new SplittableRandom(13);
        double riskMax = 0;
        for (int t = 0; t < 400; t++) {
            double loss = 1 + 5 * Math.exp(-0.02 * t) + 0.001 * rnd.nextGaussian();
            SignalBank.Result r = BANK.update(s, t, sig(Signals.LOSS, loss));
            s = r.state();
            assertEquals(0, s.loss().excluded(), "step " + t);
            assertEquals(0.0, r.derived().get(Derived.ANOMALY), "step " + t);
            riskMax = Math.max(riskMax, r.derived().finiteOr(Derived.LOSS_Z_RMS, 0));
        }
        assertTrue(riskMax < 1e-9, "a falling loss raises no upside rms, got " + riskMax);
        assertEquals(1 + 5 * Math.exp(-0.02 * 399), s.lossShort().value(), 0.02);
    }

    @Test
    void upsideRmsIsAboutOneOnStationaryNoise() {
        SignalBank.State s = BANK.initial();
        SplittableRandom rnd = new SplittableRandom(17);
        double sum = 0;
        int n = 0;
        for (int t = 0; t < 20000; t++) {
            SignalBank.Result r = BANK.update(s, t, sig(Signals.LOSS, 2 + 0.1 * rnd.nextGaussian()));
            s = r.state();
            if (t >= 1000) {
                double v = r.derived().get(Derived.LOSS_Z_RMS);
                sum += v * v;
                n++;
            }
        }
        assertEquals(1.0, sum / n, 0.1);
    }

    @Test
    void nonFiniteInputsNeverPoisonTheDerivedSignals() {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 200;
        Signals[] bad = new Signals[n];
        Signals[] absent = new Signals[n];
        for (int t = 0; t < n; t++) {
            double loss = 3 - 0.005 * t + 0.05 * rnd.nextGaussian();
            double g = 1 + 0.1 * rnd.nextGaussian();
            Signals ok = sig(Signals.LOSS, loss, Signals.GRAD_NORM, g, Signals.FINITE, 1, "grad_norm/w", g / 2,
                    Signals.VAL_LOSS, loss + 0.1, Signals.GNS_TRACE, 40.0, Signals.GNS_G2, 2.0,
                    Signals.FRESH_LOSS, loss, Signals.INPUT_MEAN, 0.5);
            if (t % 29 == 5) {
                double v = t % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
                bad[t] = sig(Signals.LOSS, v, Signals.GRAD_NORM, v, Signals.FINITE, 0, "grad_norm/w", v,
                        Signals.VAL_LOSS, v, Signals.GNS_TRACE, v, Signals.GNS_G2, v, Signals.FRESH_LOSS, v,
                        Signals.INPUT_MEAN, v);
                absent[t] = sig(Signals.FINITE, 0);
            } else {
                bad[t] = ok;
                absent[t] = ok;
            }
        }
        SignalBank.State s = BANK.initial();
        for (int t = 0; t < n; t++) {
            SignalBank.Result r = BANK.update(s, t, bad[t]);
            s = r.state();
            for (Map.Entry<String, Double> e : r.derived().asMap().entrySet()) {
                assertTrue(Double.isFinite(e.getValue()), "step " + t + ": " + e.getKey() + " = " + e.getValue());
            }
            if (t % 29 == 5) {
                assertEquals(1.0, r.derived().get(Derived.NON_FINITE));
                assertEquals(1.0, r.derived().get(Derived.ANOMALY));
            }
        }
        assertEquals(run(BANK, absent).derived(), run(BANK, bad).derived());
    }

    @Test
    void slopeIsTheRelativeDecreasePerStep() {
        double r = 1e-3;
        int n = 2000;
        Signals[] steps = new Signals[n];
        for (int t = 0; t < n; t++) {
            steps[t] = sig(Signals.LOSS, 4 * Math.exp(-r * t));
        }
        assertEquals(-r, run(BANK, steps).derived().get(Derived.LOSS_SLOPE), 0.02 * r);
    }

    @Test
    void plateauIgnoresASteadyDecreaseAfterASpike() {
        // pytorch/pytorch#30873: against the best-ever raw value a recovery from a spike counts as a plateau.
        int evals = 60;
        double[] val = new double[evals];
        for (int i = 0; i < evals; i++) {
            val[i] = i < 20 ? Math.pow(0.99, i) : i == 20 ? 3.0 : 2.0 * Math.pow(0.98, i - 21);
        }
        // Independent check that this sequence is the bug case: PyTorch's rule (rel threshold, same patience) fires.
        double best = Double.POSITIVE_INFINITY;
        int bad = 0;
        int torchReductions = 0;
        for (double v : val) {
            if (v < best * (1 - BANK.params().plateauThreshold())) {
                best = v;
                bad = 0;
            } else if (++bad > BANK.params().plateauPatience()) {
                torchReductions++;
                bad = 0;
            }
        }
        assertTrue(torchReductions >= 3, "the sequence must trip the best-ever rule, tripped " + torchReductions);
        SignalBank.State s = BANK.initial();
        for (int i = 0; i < evals; i++) {
            SignalBank.Result r = BANK.update(s, i * 10L, sig(Signals.VAL_LOSS, val[i]));
            s = r.state();
            assertEquals(0.0, r.derived().get(Derived.PLATEAU), "eval " + i);
        }
    }

    @Test
    void plateauFiresOnAFlatValidationLossAfterPatience() {
        SignalBank.State s = BANK.initial();
        SplittableRandom rnd = new SplittableRandom(5);
        int firstPlateau = -1;
        for (int i = 0; i < 30; i++) {
            SignalBank.Result r = BANK.update(s, i * 10L, sig(Signals.VAL_LOSS, 1.5 + 1e-4 * rnd.nextGaussian()));
            s = r.state();
            if (firstPlateau < 0 && r.derived().get(Derived.PLATEAU) == 1.0) {
                firstPlateau = i;
            }
        }
        assertEquals(BANK.params().plateauPatience(), firstPlateau);
    }

    @Test
    void pageHinkleyDetectsAStepChangeAndStaysQuietOnStationaryNoise() {
        for (long seed = 1; seed <= 5; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            SignalBank.State s = BANK.initial();
            int n = 3000;
            for (int t = 0; t < n; t++) {
                SignalBank.Result r = BANK.update(s, t, sig(Signals.FRESH_LOSS, 1 + 0.05 * rnd.nextGaussian(),
                        Signals.INPUT_MEAN, 0.2 * rnd.nextGaussian()));
                s = r.state();
                assertEquals(0.0, r.derived().get(Derived.SHIFT), "seed " + seed + ", false alarm at " + t);
            }
        }
        for (long seed = 1; seed <= 5; seed++) {
            for (boolean onInput : new boolean[] {false, true}) {
                SplittableRandom rnd = new SplittableRandom(seed);
                SignalBank.State s = BANK.initial();
                int change = 300;
                int detected = -1;
                for (int t = 0; t < change + 200 && detected < 0; t++) {
                    double fresh = 1 + 0.05 * rnd.nextGaussian() + (!onInput && t >= change ? 0.15 : 0);
                    double input = 0.2 * rnd.nextGaussian() - (onInput && t >= change ? 0.6 : 0);
                    SignalBank.Result r = BANK.update(s, t, sig(Signals.FRESH_LOSS, fresh, Signals.INPUT_MEAN, input));
                    s = r.state();
                    if (r.derived().get(Derived.SHIFT) == 1.0) {
                        detected = t;
                    }
                }
                assertTrue(detected >= change && detected < change + 30, "seed " + seed + (onInput ? " input" : "")
                        + ": a 3-sigma step at " + change + " detected at " + detected);
            }
        }
    }

    /**
     * The probe's flag picks the bound whatever the params' family: Adam's (2 + 2 beta1) / (1 - beta1) only on the
     * preconditioned sharpness, the heavy-ball 2 + 2 beta1 on the plain one.
     */
    @Test
    void boundFollowsHessianPreconditioned() {
        SignalBank sgd = SignalBank.of(SignalBank.Params.fromMap(Map.of("family", "sgd"), "test"));
        for (SignalBank bank : List.of(BANK, sgd)) {
            SignalBank.Result r = bank.update(bank.initial(), 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.5,
                    Signals.EFF_BETA1, 0.9, Signals.HESSIAN_PRECONDITIONED, 1.0));
            assertEquals(100 * 0.5 / ((2 + 2 * 0.9) / (1 - 0.9)), r.derived().get(Derived.SHARPNESS_RATIO), 1e-12);
            assertEquals(1.0, r.derived().get(Derived.SHARPNESS_PRECONDITIONED));
            r = bank.update(bank.initial(), 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.01,
                    Signals.EFF_BETA1, 0.9, Signals.HESSIAN_PRECONDITIONED, 0.0));
            assertEquals(100 * 0.01 / (2 + 2 * 0.9), r.derived().get(Derived.SHARPNESS_RATIO), 1e-12);
            assertEquals(0.0, r.derived().get(Derived.SHARPNESS_PRECONDITIONED));
            r = bank.update(bank.initial(), 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.01,
                    Signals.HESSIAN_PRECONDITIONED, 0.0));
            assertEquals(100 * 0.01 / 2, r.derived().get(Derived.SHARPNESS_RATIO), 1e-12);
        }
    }

    @Test
    void ratiosAndCounts() {
        SignalBank.State s = BANK.initial();
        SignalBank.Result r = BANK.update(s, 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.5,
                Signals.EFF_BETA1, 0.9, Signals.GNS_TRACE, 50.0, Signals.GNS_G2, 2.0));
        assertEquals(100 * 0.5 / 38, r.derived().get(Derived.SHARPNESS_RATIO), 1e-12);
        assertEquals(38.0 / 100, r.derived().get(Derived.STABLE_LR), 1e-12);
        assertEquals(1.0, r.derived().get(Derived.SHARPNESS_OVER));
        assertEquals(25.0, r.derived().get(Derived.NOISE_SCALE), 1e-12);
        SignalBank sgd = SignalBank.of(SignalBank.Params.fromMap(Map.of("family", "sgd"), "test"));
        r = sgd.update(sgd.initial(), 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.01));
        assertEquals(100 * 0.01 / 2, r.derived().get(Derived.SHARPNESS_RATIO), 1e-12);
        // Adam's bound needs beta1: without it, no sharpness ratio (no evidence, no derived value).
        r = BANK.update(BANK.initial(), 0, sig(Signals.HESSIAN_TOP, 100.0, Signals.EFF_LR, 0.5));
        assertFalse(r.derived().has(Derived.SHARPNESS_RATIO));

        int w = BANK.params().signWindow();
        Signals[] alternating = new Signals[3 * w];
        Signals[] monotone = new Signals[3 * w];
        for (int t = 0; t < 3 * w; t++) {
            alternating[t] = sig(Signals.LOSS, 2 + (t % 2 == 0 ? 0.01 : -0.01));
            monotone[t] = sig(Signals.LOSS, 2 - 0.001 * t);
        }
        assertEquals(w, run(BANK, alternating).derived().get(Derived.SLOPE_SIGN_CHANGES));
        assertEquals(0.0, run(BANK, monotone).derived().get(Derived.SLOPE_SIGN_CHANGES));

        Signals[] gap = new Signals[300];
        for (int t = 0; t < gap.length; t++) {
            gap[t] = t % 50 == 49 ? sig(Signals.LOSS, 1.0, Signals.VAL_LOSS, 1.2) : sig(Signals.LOSS, 1.0);
        }
        assertEquals(0.2, run(BANK, gap).derived().get(Derived.GAP), 1e-12);
    }

    @Test
    void badParamsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SignalBank.Params.fromMap(Map.of("long_decay", 1.5), "adaptive.json: signals"));
        assertTrue(e.getMessage().contains("adaptive.json: signals") && e.getMessage().contains("long_decay")
                && e.getMessage().contains("[0, 1)"), e.getMessage());
    }
}
