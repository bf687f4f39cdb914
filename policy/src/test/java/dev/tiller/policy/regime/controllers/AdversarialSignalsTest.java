package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Controllers;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.SignalBank;
import dev.tiller.policy.regime.Signals;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Adversarial measurement sequences (spikes, NaN, infinities, gaps, constants, step changes, oscillation) through the
 * bank and every controller: derived signals stay finite, flags stay 0/1, every SET proposal is a finite positive
 * scale (an anchor in [0, 1)), and the same inputs give the same outputs.
 */
class AdversarialSignalsTest {
    private static final String[] INPUTS = {Signals.LOSS, Signals.GRAD_NORM, Signals.VAL_LOSS, "grad_norm/w",
        Signals.GNS_TRACE, Signals.GNS_G2, Signals.GNS_BATCH, Signals.HESSIAN_TOP, Signals.EFF_LR, Signals.EFF_BETA1,
        Signals.SATURATION, Signals.FRESH_LOSS, Signals.INPUT_MEAN, Signals.UPDATE_COS};

    /** One step's measurements: per input, a behaviour drawn from the mode, then a value. */
    private static Signals draw(SplittableRandom r, int mode, long t) {
        Map<String, Double> m = new HashMap<>();
        for (String name : INPUTS) {
            double base = name.equals(Signals.EFF_BETA1) ? 0.9 : name.equals(Signals.UPDATE_COS) ? 0.1
                    : name.equals(Signals.SATURATION) ? 0.3 : 1 + 0.1 * (name.hashCode() & 7);
            double v = switch (r.nextInt(mode == 0 ? 4 : 10)) {
                case 0, 1, 2 -> base * (1 + 0.05 * r.nextGaussian());
                case 3 -> base * (t % 2 == 0 ? 1.3 : 0.7);                   // oscillation
                case 4 -> base * 100;                                         // spike
                case 5 -> Double.NaN;
                case 6 -> r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                case 7 -> Double.MIN_VALUE;                                   // absent below
                case 8 -> base * (t > 100 ? 3 : 1);                           // step change
                default -> base;                                              // constant
            };
            if (v != Double.MIN_VALUE) {
                m.put(name, v);
            }
        }
        m.put(Signals.FINITE, Double.isFinite(m.getOrDefault(Signals.LOSS, 0.0)) ? 1.0 : 0.0);
        return Signals.of(m);
    }

    private static List<Controller.Output<?>> run(long seed, int mode, int steps) {
        SignalBank bank = SignalBank.of(RegimeSpec.staticRegime());
        SignalBank.State state = bank.initial();
        List<ControllerConditionsTest.Sim<?>> sims = new ArrayList<>();
        for (String type : Controllers.TYPES) {
            sims.add(new ControllerConditionsTest.Sim<>(Controllers.create(new RegimeSpec.ControllerSpec(type,
                    Map.of()), "test")));
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (long t = 0; t < steps; t++) {
            Signals measured = draw(r, mode, t);
            SignalBank.Result res = bank.update(state, t, measured);
            state = res.state();
            for (Map.Entry<String, Double> e : res.derived().asMap().entrySet()) {
                assertTrue(Double.isFinite(e.getValue()), "step " + t + ": " + e.getKey() + " = " + e.getValue());
            }
            for (String flag : List.of(Derived.ANOMALY, Derived.SHIFT, Derived.NON_FINITE, Derived.PLATEAU)) {
                double f = res.derived().finiteOr(flag, 0);
                assertTrue(f == 0 || f == 1, flag + " = " + f);
            }
            Signals signals = measured.merge(res.derived());
            for (ControllerConditionsTest.Sim<?> sim : sims) {
                for (Proposal p : sim.decide(t, signals)) {
                    if (p.action() == Proposal.Action.SET) {
                        boolean ok = p.knob() == Knob.ANCHOR ? p.target() >= 0 && p.target() < 1
                                : Double.isFinite(p.target()) && p.target() > 0;
                        assertTrue(ok, sim.ctl.name() + " step " + t + ": " + p);
                    }
                    assertTrue(!p.reason().isEmpty() && !p.evidence().isEmpty(), p.toString());
                }
            }
        }
        List<Controller.Output<?>> outputs = new ArrayList<>();
        for (ControllerConditionsTest.Sim<?> sim : sims) {
            outputs.add(new Controller.Output<>(sim.state, sim.all));
        }
        outputs.add(new Controller.Output<>(state, List.of()));
        return outputs;
    }

    @Test
    void adversarialSequencesKeepEveryOutputFiniteAndDeterministic() {
        qt().withFixedSeed(20_241_203L).withExamples(8)
                .forAll(longs().all(), integers().between(0, 1))
                .checkAssert((seed, mode) -> assertEquals(run(seed, mode, 300), run(seed, mode, 300)));
    }
}
