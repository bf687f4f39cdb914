package dev.tiller.policy.regime.controllers;

import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.ZClip;
import dev.tiller.optim.clip.ZClipHyper;
import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Controllers;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.SignalBank;
import dev.tiller.policy.regime.Signals;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each controller's stability condition (docs/regime.md), checked on the controller directly. */
class ControllerConditionsTest {
    private static final SignalBank BANK = SignalBank.of(RegimeSpec.staticRegime());

    static Signals sig(Object... kv) {
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return Signals.of(m);
    }

    /** A run of a controller over a bank, with every SET applied as proposed (no arbiter: the worst case). */
    static final class Sim<S> {
        final Controller<S> ctl;
        S state;
        SignalBank.State bank = BANK.initial();
        Knobs knobs = Knobs.neutral();
        final List<Proposal> all = new ArrayList<>();
        final List<Long> steps = new ArrayList<>();

        Sim(Controller<S> ctl) {
            this.ctl = ctl;
            this.state = ctl.initial();
        }

        List<Proposal> step(long t, Signals measured) {
            SignalBank.Result r = BANK.update(bank, t, measured);
            bank = r.state();
            return decide(t, measured.merge(r.derived()));
        }

        List<Proposal> decide(long t, Signals signals) {
            Controller.Output<S> out = ctl.decide(t, signals, knobs, state);
            state = out.state();
            for (Proposal p : out.proposals()) {
                all.add(p);
                steps.add(t);
                if (p.action() == Proposal.Action.SET) {
                    knobs = knobs.with(p.knob(), p.target());
                }
            }
            return out.proposals();
        }
    }

    private static Controller<?> make(String type, Map<String, Object> params) {
        return Controllers.create(new RegimeSpec.ControllerSpec(type, params), "test");
    }

    @Test
    void curvatureCapKeepsSharpnessTimesLrBelowTheBound() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int trial = 0; trial < 200; trial++) {
            CurvatureCap cap = CurvatureCap.create(Map.of(), "test");
            Sim<CurvatureCap.State> sim = new Sim<>(cap);
            double beta = 0.5 + 0.49 * rnd.nextDouble();
            double bound = (2 + 2 * beta) / (1 - beta);
            double sched = Math.exp(rnd.nextDouble() * 8 - 9);
            double lambda = bound / sched * (1.05 + 3 * rnd.nextDouble());     // unstable at the recipe's LR
            int firstProposal = -1;
            for (int probe = 0; probe < 6; probe++) {
                double lr = sched * sim.knobs.get(Knob.LR);
                List<Proposal> ps = sim.step(probe, sig(Signals.HESSIAN_TOP, lambda, Signals.EFF_LR, lr,
                        Signals.EFF_BETA1, beta));
                if (!ps.isEmpty() && firstProposal < 0) {
                    firstProposal = probe;
                }
                for (Proposal p : ps) {
                    double newLr = sched * p.target();
                    assertTrue(lambda * newLr / bound <= cap.config().margin() * (1 + 1e-12),
                            "trial " + trial + ": ratio after the cap " + lambda * newLr / bound);
                }
            }
            assertEquals(cap.config().k() - 1, firstProposal, "acts on the k-th consecutive violation");
            assertTrue(lambda * sched * sim.knobs.get(Knob.LR) / bound < 1);
        }
    }

    @Test
    void curvatureCapDoesNothingWhileStable() {
        Sim<CurvatureCap.State> sim = new Sim<>(CurvatureCap.create(Map.of(), "test"));
        for (int probe = 0; probe < 20; probe++) {
            assertTrue(sim.step(probe, sig(Signals.HESSIAN_TOP, 10.0, Signals.EFF_LR, 1.0, Signals.EFF_BETA1, 0.9))
                    .isEmpty());
        }
    }

    @Test
    void plateauLrHasBoundedTotalVariationAndRespectsTheEmaTimeConstant() {
        PlateauLr ctl = PlateauLr.create(Map.of("cooldown", 10), "test");    // shorter than the EMA's 100 steps
        Sim<PlateauLr.State> sim = new Sim<>(ctl);
        SplittableRandom rnd = new SplittableRandom(23);
        int n = 5000;
        double tv = 0;
        double prev = 1;
        for (int t = 0; t < n; t++) {
            Signals s = sig(Derived.PLATEAU, rnd.nextInt(2), Derived.PLATEAU_STEPS, 100, Derived.PLATEAU_EVALS, 5,
                    Derived.LOSS_SLOPE, (rnd.nextDouble() - 0.5) * 1e-2, Derived.LOSS_PROGRESS, rnd.nextDouble() * 2,
                    Derived.LOSS_Z_RMS, rnd.nextDouble() * 2, Derived.LOSS_EMA_TAU, 100);
            sim.decide(t, s);
            double lr = sim.knobs.get(Knob.LR);
            tv += Math.abs(Math.log(lr / prev));
            prev = lr;
        }
        double maxStep = Math.max(ctl.config().downStep(), Math.max(ctl.config().upStep(), ctl.config().decelStep()));
        assertTrue(tv <= maxStep * (n / 100.0 + 1) + 1e-9, "total variation " + tv);
        for (int i = 1; i < sim.steps.size(); i++) {
            assertTrue(sim.steps.get(i) - sim.steps.get(i - 1) >= 100, "changes at " + sim.steps.get(i - 1) + " and "
                    + sim.steps.get(i) + " closer than the EMA time constant");
        }
        assertFalse(sim.all.isEmpty());
    }

    @Test
    void plateauLrDoesNotFireOnASteadyDecreaseAfterASpike() {
        // pytorch/pytorch#30873, end to end through the bank: train loss falls steadily, the validation loss spikes
        // once and then recovers steadily while still above its pre-spike best.
        Sim<PlateauLr.State> sim = new Sim<>(PlateauLr.create(Map.of(), "test"));
        for (int t = 0; t < 1200; t++) {
            double loss = 3 * Math.exp(-1e-3 * t);
            Signals m = sig(Signals.LOSS, loss);
            if (t % 20 == 19) {
                int i = t / 20;
                double val = i < 20 ? Math.pow(0.99, i) : i == 20 ? 3.0 : 2.0 * Math.pow(0.98, i - 21);
                m = m.merge(sig(Signals.VAL_LOSS, val));
            }
            sim.step(t, m);
            assertEquals(0.0, sim.bank.derived().finiteOr(Derived.PLATEAU, 0), "step " + t);
        }
        for (Proposal p : sim.all) {
            assertFalse(p.reason().contains("plateau"), p.reason());
        }
    }

    @Test
    void plateauLrLowersTheLrOnARealPlateauAndRaisesItWhenStalledFarFromConvergence() {
        Sim<PlateauLr.State> sim = new Sim<>(PlateauLr.create(Map.of(), "test"));
        SplittableRandom rnd = new SplittableRandom(2);
        for (int t = 0; t < 1000; t++) {
            Signals m = sig(Signals.LOSS, 2 + 0.001 * rnd.nextGaussian());
            if (t % 20 == 19) {
                m = m.merge(sig(Signals.VAL_LOSS, 2.1));
            }
            sim.step(t, m);
        }
        assertTrue(sim.all.stream().anyMatch(p -> p.reason().contains("plateau") && p.target() < 1), "" + sim.all);

        Sim<PlateauLr.State> far = new Sim<>(PlateauLr.create(Map.of(), "test"));
        for (int t = 0; t < 1000; t++) {
            double loss = t < 100 ? 4 - 0.008 * t : 3.2 + 0.001 * rnd.nextGaussian();   // stalls at 0.8 of its start
            far.step(t, sig(Signals.LOSS, loss));
        }
        assertTrue(far.all.stream().anyMatch(p -> p.trialSteps() > 0 && p.target() > 1), "" + far.all);
    }

    @Test
    void plateauLrDeceleratesOnlyUnsteadyRapidProgressAndGivesItBack() {
        PlateauLr ctl = PlateauLr.create(Map.of(), "test");
        Sim<PlateauLr.State> calm = new Sim<>(ctl);
        for (int t = 0; t < 1000; t++) {
            calm.decide(t, sig(Derived.LOSS_SLOPE, -0.01, Derived.LOSS_Z_RMS, 0.5, Derived.GRAD_NORM_Z_RMS, 1.0,
                    Derived.LOSS_PROGRESS, 0.6));
        }
        assertTrue(calm.all.isEmpty(), "calm rapid progress is left alone: " + calm.all);

        Sim<PlateauLr.State> unsteady = new Sim<>(ctl);
        for (int t = 0; t < 1000; t++) {
            unsteady.decide(t, sig(Derived.LOSS_SLOPE, -0.01, Derived.LOSS_Z_RMS, 0.5, Derived.GRAD_NORM_Z_RMS,
                    ctl.config().calmZ(), Derived.LOSS_PROGRESS, 0.6));
            assertTrue(unsteady.knobs.get(Knob.LR) >= ctl.config().decelFloor() * (1 - 1e-12));
        }
        assertEquals(ctl.config().decelFloor(), unsteady.knobs.get(Knob.LR), 1e-12);
        for (int t = 1000; t < 1400; t++) {
            unsteady.decide(t, sig(Derived.LOSS_SLOPE, -0.0005, Derived.LOSS_Z_RMS, 0.5, Derived.LOSS_PROGRESS, 0.4));
        }
        assertEquals(1.0, unsteady.knobs.get(Knob.LR), 1e-12, "the deceleration is given back");
    }

    @Test
    void cautionLrReducesBoundedlyAndGivesBack() {
        CautionLr ctl = CautionLr.create(Map.of(), "test");
        Sim<CautionLr.State> sim = new Sim<>(ctl);
        for (int t = 0; t < 500; t++) {
            sim.decide(t, sig(Derived.LOSS_Z_RMS, 3.0));
            assertTrue(sim.knobs.get(Knob.LR) >= ctl.config().floor() * (1 - 1e-12));
        }
        assertEquals(ctl.config().floor(), sim.knobs.get(Knob.LR), 1e-12);
        for (int i = 1; i < sim.steps.size(); i++) {
            assertTrue(sim.steps.get(i) - sim.steps.get(i - 1) >= ctl.config().cooldown());
        }
        for (int t = 500; t < 2000; t++) {
            sim.decide(t, sig(Derived.LOSS_Z_RMS, 1.0));
        }
        assertEquals(1.0, sim.knobs.get(Knob.LR), 1e-12);
    }

    @Test
    void cautionLrAnswersARiseThatPersistsNotABriefExcursion() {
        CautionLr ctl = CautionLr.create(Map.of(), "test");
        Sim<CautionLr.State> sim = new Sim<>(ctl);
        for (int t = 0; t < 400; t++) {                  // excursions above high of 1 to 8 steps, then calm
            int phase = t % 40;
            sim.decide(t, sig(Derived.LOSS_Z_RMS, phase < 1 + t / 50 ? 3.0 : 1.0, Derived.Z_RMS_TAU, 10));
        }
        assertEquals(List.of(), sim.steps, "no excursion lasted the 10 steps the rms needs");
        for (int t = 400; t < 410; t++) {
            sim.decide(t, sig(Derived.LOSS_Z_RMS, 3.0, Derived.Z_RMS_TAU, 10));
        }
        assertEquals(List.of(409L), sim.steps, "the tenth step in a row above high acts");
        Sim<CautionLr.State> longer = new Sim<>(CautionLr.create(Map.of("persist", 3), "test"));
        for (int t = 0; t < 12; t++) {
            longer.decide(t, sig(Derived.LOSS_Z_RMS, 3.0, Derived.Z_RMS_TAU, 10));
        }
        assertEquals(List.of(9L), longer.steps, "never fewer steps than the rms time constant");
    }

    @Test
    void cooldownsAreNeverShorterThanTheTimeConstantOfWhatTheControllerWatches() {
        // Each controller is configured with cooldown 0 and fed a trigger every step; its changes must still be
        // spaced by the time constant of the signal it reacts to.
        Sim<CautionLr.State> caution = new Sim<>(CautionLr.create(Map.of("cooldown", 0, "floor", 0.01), "test"));
        Sim<Momentum.State> momentum = new Sim<>(Momentum.create(Map.of("cooldown", 0, "min_scale", 1e-3), "test"));
        ZClipCtl zc = ZClipCtl.create(Map.of("cooldown", 0, "min_change", 0.0), "test");
        Sim<ZClipCtl.State> zclip = new Sim<>(zc);
        SplittableRandom rnd = new SplittableRandom(8);
        for (int t = 0; t < 600; t++) {
            caution.decide(t, sig(Derived.LOSS_Z_RMS, 3.0, Derived.Z_RMS_TAU, 10));
            momentum.decide(t, sig(Derived.SLOPE_SIGN_CHANGES, 20, Derived.SIGN_WINDOW, 20));
            zclip.decide(t, sig(Signals.GRAD_NORM, 1 + t * 0.01 + 0.1 * rnd.nextGaussian()));
        }
        for (var sim : List.of(caution, momentum, zclip)) {
            double tau = sim == caution ? 10 : sim == momentum ? 20 : Math.ceil(1 / (1 - zc.config().alpha()));
            assertTrue(sim.steps.size() > 3, sim.ctl.name() + " acted " + sim.steps.size() + " times");
            for (int i = 1; i < sim.steps.size(); i++) {
                assertTrue(sim.steps.get(i) - sim.steps.get(i - 1) >= tau, sim.ctl.name() + ": changes at "
                        + sim.steps.get(i - 1) + " and " + sim.steps.get(i));
            }
        }
    }

    @Test
    void momentumIgnoresMinibatchNoiseButAnswersAPeriodTwoAlternation() {
        // i.i.d. losses change slope sign at 2/3 of the chances; the controller tests every step, so a threshold near
        // that rate fires on noise alone (0.85 of 20 did, about once per 300 steps of the GPT run)
        SplittableRandom rnd = new SplittableRandom(14);
        Map<String, Object> bare = Map.of("cooldown", 0, "min_scale", 1e-9);     // no floor to stop at
        Sim<Momentum.State> noise = new Sim<>(Momentum.create(bare, "test"));
        Sim<Momentum.State> loose = new Sim<>(Momentum.create(Map.of("cooldown", 0, "min_scale", 1e-9, "osc_z", 1.9),
                "test"));
        Sim<Momentum.State> alternating = new Sim<>(Momentum.create(Map.of("cooldown", 0), "test"));
        for (int t = 0; t < 20_000; t++) {
            double x = 2 + 0.1 * rnd.nextGaussian();
            noise.step(t, sig(Signals.LOSS, x, Signals.GRAD_NORM, 1.0));
            loose.step(t, sig(Signals.LOSS, x, Signals.GRAD_NORM, 1.0));
            alternating.step(t, sig(Signals.LOSS, 2 + 0.1 * (t % 2 == 0 ? 1 : -1) + 0.02 * rnd.nextGaussian(),
                    Signals.GRAD_NORM, 1.0));
        }
        long onNoise = noise.all.stream().filter(p -> p.reason().contains("oscillates")).count();
        long onNoiseLoose = loose.all.stream().filter(p -> p.reason().contains("oscillates")).count();
        assertTrue(onNoise <= 2, onNoise + " answers to 20000 steps of noise");
        assertTrue(onNoiseLoose >= 20, "17 of 20 (z 1.9) answered noise " + onNoiseLoose + " times");
        assertTrue(alternating.all.stream().filter(p -> p.reason().contains("oscillates")).count() > 10,
                alternating.all.toString());
        assertEquals(0, Momentum.turningPointZ(40.0 / 3, 20), 1e-12, "white noise's mean is z 0");
        assertTrue(Momentum.turningPointZ(19, 20) < 3.5 && Momentum.turningPointZ(20, 20) >= 3.5);
    }

    @Test
    void momentumRaisesTheBoundOnOscillationAndNeverLowersItPastSharpness() {
        Momentum ctl = Momentum.create(Map.of(), "test");
        Sim<Momentum.State> sim = new Sim<>(ctl);
        List<Proposal> ps = sim.decide(0, sig(Derived.SLOPE_SIGN_CHANGES, 20, Derived.SIGN_WINDOW, 20,
                Signals.EFF_BETA1, 0.9));
        assertEquals(1, ps.size());
        double beta = 1 - 0.1 * ps.get(0).target();
        assertTrue(SignalBank.stabilityBound("adam", beta) > SignalBank.stabilityBound("adam", 0.9));

        // Saturation asks for less momentum: allowed only while the rescaled sharpness ratio stays below 1.
        Sim<Momentum.State> near = new Sim<>(Momentum.create(Map.of(), "test"));
        assertTrue(near.decide(0, sig(Signals.SATURATION, 0.9, Signals.EFF_BETA1, 0.9, Derived.SHARPNESS_RATIO, 0.95))
                .isEmpty());
        Sim<Momentum.State> far = new Sim<>(Momentum.create(Map.of(), "test"));
        ps = far.decide(0, sig(Signals.SATURATION, 0.9, Signals.EFF_BETA1, 0.9, Derived.SHARPNESS_RATIO, 0.5));
        assertEquals(1, ps.size());
        double bNew = 1 - 0.1 * ps.get(0).target();
        assertTrue(0.5 * 38 / SignalBank.stabilityBound("adam", bNew) < 1);
        Sim<Momentum.State> blind = new Sim<>(Momentum.create(Map.of(), "test"));
        assertTrue(blind.decide(0, sig(Signals.SATURATION, 0.9)).isEmpty(), "no beta1, no change");
    }

    @Test
    void zclipControllerKeepsZClipsStatistics() {
        ZClipCtl ctl = ZClipCtl.create(Map.of(), "test");
        ZClip ref = new ZClip();
        ZClipHyper h = ZClipHyper.defaults().withMaxGradNorm(null);
        ZClipCtl.State st = ctl.initial();
        SplittableRandom rnd = new SplittableRandom(31);
        for (int t = 0; t < 400; t++) {
            float g = (float) (t % 41 == 40 ? 20 + rnd.nextDouble() : 1 + 0.2 * rnd.nextGaussian());
            ParamRef p = new ParamRef("w", Tensor.zeros(1), Tensor.of(new float[] {g}, 1));
            ref.clip(List.of(p), h);
            st = ctl.observe(st, g);
            if (ref.initialized()) {
                assertEquals(ref.mean(), st.mean(), 1e-12 * ref.mean(), "step " + t);
                assertEquals(ref.variance(), st.var(), 1e-9 * ref.variance() + 1e-300, "step " + t);
            }
        }
        Sim<ZClipCtl.State> sim = new Sim<>(ctl);
        List<Proposal> last = List.of();
        for (int t = 0; t < 400; t++) {
            List<Proposal> ps = sim.decide(t, sig(Signals.GRAD_NORM, 3 + 0.3 * rnd.nextGaussian(), Signals.EFF_CLIP,
                    sim.knobs.get(Knob.CLIP) * 1.0));
            last = ps.isEmpty() ? last : ps;
        }
        assertFalse(last.isEmpty());
        assertEquals(last.get(0).evidence().get("threshold"), last.get(0).target(), 1e-12);
    }

    @Test
    void batchGrowsTowardTheNoiseScaleAndNeverPastIt() {
        Batch ctl = Batch.create(Map.of("cooldown", 0), "test");
        Sim<Batch.State> sim = new Sim<>(ctl);
        int micro = 1;
        double prev = 1;
        for (int t = 0; t < 50; t++) {
            sim.decide(t, sig(Derived.NOISE_SCALE, 1000.0, Signals.GNS_BATCH, 16, Signals.EFF_MICRO_BATCHES, micro));
            assertTrue(sim.knobs.get(Knob.MICRO_BATCHES) >= prev, "never shrinks");
            prev = sim.knobs.get(Knob.MICRO_BATCHES);
            micro = (int) Math.round(prev);
            assertTrue(16 * micro <= 1000, "batch " + 16 * micro + " past the noise scale");
        }
        assertEquals(62, micro);
    }

    @Test
    void shiftRaisesBoundedlyPullsAsAContractionAndReleases() {
        Shift ctl = Shift.create(Map.of(), "test");
        Sim<Shift.State> sim = new Sim<>(ctl);
        List<Proposal> ps = sim.decide(0, sig(Derived.SHIFT, 1, Derived.SHIFT_PH, 30, Derived.SHARPNESS_RATIO, 0.7));
        double lr = sim.knobs.get(Knob.LR);
        assertTrue(lr <= Math.exp(ctl.config().boost()) + 1e-12);
        assertTrue(0.7 * lr <= ctl.config().maxSharpness() + 1e-12, "boost limited by the stability bound");
        double a = sim.knobs.get(Knob.ANCHOR);
        assertTrue(a > 0 && a < 1, "the pull theta -= a (theta - anchor) contracts only for 0 < a < 1");
        assertEquals(2, ps.size());
        double tv = Math.log(lr);
        double prev = lr;
        for (int t = 1; t < 5000; t++) {
            sim.decide(t, sig(Derived.SHIFT, 0));
            double now = sim.knobs.get(Knob.LR);
            assertTrue(now <= prev, "release is monotone");
            tv += Math.abs(Math.log(now / prev));
            prev = now;
        }
        assertEquals(1.0, sim.knobs.get(Knob.LR), 1e-12);
        assertEquals(0.0, sim.knobs.get(Knob.ANCHOR));
        assertTrue(tv <= 2 * ctl.config().boost() + 1e-12);
        assertFalse(sim.state.active());
    }

    @Test
    void spikeSkipsANanStepRollsBackOnTheSecondAndOnAPersistentSpikeWithinFive() {
        Sim<Spike.State> sim = new Sim<>(Spike.create(Map.of(), "test"));
        SplittableRandom rnd = new SplittableRandom(9);
        for (int t = 0; t < 100; t++) {
            assertTrue(sim.step(t, sig(Signals.LOSS, 2 + 0.02 * rnd.nextGaussian(), Signals.GRAD_NORM,
                    1 + 0.1 * rnd.nextGaussian(), Signals.FINITE, 1)).isEmpty(), "quiet at " + t);
        }
        List<Proposal> ps = sim.step(100, sig(Signals.LOSS, Double.NaN, Signals.GRAD_NORM, Double.NaN,
                Signals.FINITE, 0));
        assertEquals(Proposal.Action.SKIP, ps.get(0).action(), "the update has not been applied: skip it");
        ps = sim.step(101, sig(Signals.LOSS, Double.NaN, Signals.GRAD_NORM, Double.NaN, Signals.FINITE, 0));
        assertEquals(Proposal.Action.ROLLBACK, ps.get(0).action(), "a second in a row: the state is bad");

        Sim<Spike.State> z = new Sim<>(Spike.create(Map.of(), "test"));
        for (int t = 0; t < 100; t++) {
            z.step(t, sig(Signals.LOSS, 2 + 0.02 * rnd.nextGaussian(), Signals.GRAD_NORM,
                    1 + 0.1 * rnd.nextGaussian()));
        }
        int rollbackAt = -1;
        for (int t = 100; t < 110 && rollbackAt < 0; t++) {
            for (Proposal p : z.step(t, sig(Signals.LOSS, 20.0, Signals.GRAD_NORM, 1.0))) {
                if (p.action() == Proposal.Action.ROLLBACK) {
                    rollbackAt = t;
                } else {
                    assertEquals(Proposal.Action.SKIP, p.action());
                }
            }
        }
        assertTrue(rollbackAt >= 100 && rollbackAt < 105, "rollback at " + rollbackAt);

        Sim<Spike.State> skip = new Sim<>(Spike.create(Map.of(), "test"));
        assertEquals(Proposal.Action.SKIP, skip.decide(0, sig(Signals.FINITE, 0)).get(0).action(), "by default");
        assertEquals(Proposal.Action.ROLLBACK, skip.decide(1, sig(Signals.FINITE, 0)).get(0).action());
        assertTrue(skip.decide(2, sig(Signals.FINITE, 1, Derived.LOSS_Z, 1.0)).isEmpty(), "a finite, calm step");
        assertEquals(Proposal.Action.SKIP, skip.decide(3, sig(Signals.FINITE, 0)).get(0).action(), "a new run");
        Sim<Spike.State> atOnce = new Sim<>(Spike.create(Map.of("skip_nonfinite_first", false), "test"));
        assertEquals(Proposal.Action.ROLLBACK, atOnce.decide(0, sig(Signals.FINITE, 0)).get(0).action());
    }

    /** A gradient-norm spike is a spike only while the loss is not falling below its running mean. */
    @Test
    void spikeIgnoresAGradientNormSpikeWhileTheLossFalls() {
        Spike ctl = Spike.create(Map.of(), "test");
        Sim<Spike.State> falling = new Sim<>(ctl);
        assertTrue(falling.decide(0, sig(Signals.FINITE, 1, Derived.LOSS_Z, -1.5, Derived.GRAD_NORM_Z, 13.0))
                .isEmpty(), "the norm grows, the loss falls: no damage");
        Sim<Spike.State> level = new Sim<>(ctl);
        assertEquals(Proposal.Action.SKIP, level.decide(0, sig(Signals.FINITE, 1, Derived.LOSS_Z, 0.0,
                Derived.GRAD_NORM_Z, 13.0)).get(0).action(), "the loss is not falling: the norm's spike counts");
        Sim<Spike.State> lossOnly = new Sim<>(ctl);
        assertEquals(Proposal.Action.SKIP, lossOnly.decide(0, sig(Signals.FINITE, 1, Derived.LOSS_Z, 9.0,
                Derived.GRAD_NORM_Z, -1.0)).get(0).action(), "a loss spike needs no help from the norm");
        Sim<Spike.State> normOnly = new Sim<>(ctl);
        assertEquals(Proposal.Action.SKIP, normOnly.decide(0, sig(Signals.FINITE, 1, Derived.GRAD_NORM_Z, 13.0))
                .get(0).action(), "without a loss z-score the norm decides alone");
    }

    @Test
    void noEvidenceNoProposal() {
        Signals nan = sig(Derived.PLATEAU, Double.NaN, Derived.LOSS_SLOPE, Double.NaN, Derived.LOSS_Z_RMS, Double.NaN,
                Derived.GRAD_NORM_Z_RMS, Double.NaN, Derived.SHARPNESS_PROBES, Double.NaN, Derived.STABLE_LR,
                Double.NaN, Signals.EFF_LR, Double.NaN, Derived.SLOPE_SIGN_CHANGES, Double.NaN, Derived.GAP,
                Double.NaN, Derived.NOISE_SCALE, Double.NaN, Derived.SHIFT, Double.NaN, Derived.LOSS_Z, Double.NaN);
        for (String type : Controllers.TYPES) {
            for (Signals s : List.of(Signals.empty(), nan)) {
                assertNoProposals(make(type, Map.of()), s);
            }
        }
    }

    private static <S> void assertNoProposals(Controller<S> c, Signals s) {
        S st = c.initial();
        for (int t = 0; t < 1000; t++) {
            Controller.Output<S> out = c.decide(t, s, Knobs.neutral(), st);
            assertTrue(out.proposals().isEmpty(), c.name() + " proposed on " + s + ": " + out.proposals());
            st = out.state();
        }
    }

    @Test
    void sameInputsSameOutputs() {
        for (String type : Controllers.TYPES) {
            Sim<?> a = new Sim<>(make(type, Map.of()));
            Sim<?> b = new Sim<>(make(type, Map.of()));
            SplittableRandom r1 = new SplittableRandom(4);
            SplittableRandom r2 = new SplittableRandom(4);
            for (int t = 0; t < 300; t++) {
                a.step(t, sig(Signals.LOSS, 2 + r1.nextGaussian(), Signals.GRAD_NORM, 1 + r1.nextDouble()));
                b.step(t, sig(Signals.LOSS, 2 + r2.nextGaussian(), Signals.GRAD_NORM, 1 + r2.nextDouble()));
            }
            assertEquals(a.all, b.all, type);
            assertEquals(a.state, b.state, type);
        }
    }
}
