package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.Signals;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * reduce_on_plateau against PyTorch's ReduceLROnPlateau rules worked by hand: at each evaluation, better (value below
 * best x (1 - threshold), or best - threshold) resets bad to 0 and moves best, else bad + 1; a cooldown evaluation
 * left is used up and zeroes bad; bad > patience cuts the LR to max(lr x factor, min_lr) when that lowers it by more
 * than eps, and sets the cooldown and bad = 0 either way. Every SET is applied as proposed (an arbiter with wide
 * limits), and each evaluation is separated by steps without a validation loss, which must change nothing.
 */
class ReduceOnPlateauTest {
    /** One evaluation per value, 5 steps apart; the knob after each evaluation, and the cuts' evaluation numbers. */
    private record Run(List<Double> lr, List<Integer> cuts, ReduceOnPlateau.State state) {}

    private static Run run(Map<String, Object> params, double... values) {
        ReduceOnPlateau ctl = ReduceOnPlateau.create(params, "test");
        ReduceOnPlateau.State st = ctl.initial();
        Knobs knobs = Knobs.neutral();
        List<Double> lr = new ArrayList<>();
        List<Integer> cuts = new ArrayList<>();
        long t = 0;
        for (int e = 1; e <= values.length; e++) {
            for (int k = 0; k < 4; k++, t++) {        // training steps between evaluations: no effect
                Controller.Output<ReduceOnPlateau.State> quiet = ctl.decide(t, Signals.of(Map.of(Signals.LOSS, 2.0)),
                        knobs, st);
                assertEquals(st, quiet.state());
                assertTrue(quiet.proposals().isEmpty());
            }
            Controller.Output<ReduceOnPlateau.State> out = ctl.decide(t++, Signals.of(Map.of(Signals.LOSS, 2.0,
                    Signals.VAL_LOSS, values[e - 1])), knobs, st);
            st = out.state();
            for (Proposal p : out.proposals()) {
                assertEquals(Knob.LR, p.knob());
                assertTrue(!p.reason().isEmpty() && !p.evidence().isEmpty());
                knobs = knobs.with(Knob.LR, p.target());
                cuts.add(e);
            }
            lr.add(knobs.get(Knob.LR));
        }
        return new Run(lr, cuts, st);
    }

    @Test
    void relativeThresholdPatienceAndTheCutFollowPyTorch() {
        // patience 2, threshold 0.1 rel: better means below 0.9 x best.
        // e1 1.0 best (inf) -> best 1.0; e2-e4 0.95 >= 0.9: bad 1, 2, 3 > 2 -> lr 1 -> 0.1, bad 0;
        // e5 0.89 < 0.9 -> best 0.89; e6-e8 0.89 >= 0.801: bad 1, 2, 3 -> lr 0.1 -> 0.01.
        Run r = run(Map.of("patience", 2, "threshold", 0.1), 1.0, 0.95, 0.95, 0.95, 0.89, 0.89, 0.89, 0.89);
        assertEquals(List.of(4, 8), r.cuts());
        assertEquals(List.of(1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1 * 0.1), r.lr());
        assertEquals(new ReduceOnPlateau.State(0.89, 0, 0), r.state());
    }

    @Test
    void absoluteThresholdComparesWithBestMinusThreshold() {
        // Same values, threshold 0.04 abs: e2 0.95 < 1.0 - 0.04 is better (rel 0.1 said no); e3, e4 0.95: bad 1, 2;
        // e5 0.89 < 0.91 better; e6, e7, e8 0.89: bad 1, 2, 3 > 2 -> the only cut, at e8.
        Run r = run(Map.of("patience", 2, "threshold", 0.04, "threshold_mode", "abs"), 1.0, 0.95, 0.95, 0.95, 0.89,
                0.89, 0.89, 0.89);
        assertEquals(List.of(8), r.cuts());
        assertEquals(0.1, r.lr().get(7));
        // An improvement of exactly the threshold is not better (strict <): 1.0 then 0.5 with abs threshold 0.5.
        assertEquals(List.of(2), run(Map.of("patience", 0, "threshold", 0.5, "threshold_mode", "abs"), 1.0, 0.5)
                .cuts());
    }

    @Test
    void cooldownIgnoresBadEvaluationsAfterACut() {
        // patience 1, factor 0.5, cooldown 2, constant 1.0: e1 best; e2 bad 1; e3 bad 2 > 1 -> cut, cooldown 2;
        // e4 bad 1, cooldown 2 -> 1, bad 0; e5 bad 1, cooldown -> 0, bad 0; e6 bad 1; e7 bad 2 -> cut; e8, e9 cool.
        double[] flat = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        Run cooled = run(Map.of("patience", 1, "factor", 0.5, "cooldown", 2), flat);
        assertEquals(List.of(3, 7, 11), cooled.cuts());
        assertEquals(0.125, cooled.lr().get(10));
        // Without cooldown a cut every patience + 1 evaluations after the first: e3, e5, e7, e9, e11.
        assertEquals(List.of(3, 5, 7, 9, 11), run(Map.of("patience", 1, "factor", 0.5), flat).cuts());
    }

    @Test
    void minLrFloorsTheCutAndNoChangeIsProposedAtTheFloor() {
        // patience 0, factor 0.1, min_lr 0.05: e2 1 -> 0.1; e3 max(0.01, 0.05) = 0.05; e4 max(0.005, 0.05) = 0.05:
        // no change, so no proposal, but the counters reset as in PyTorch.
        Run r = run(Map.of("patience", 0, "min_lr", 0.05), 1, 1, 1, 1, 1);
        assertEquals(List.of(2, 3), r.cuts());
        assertEquals(List.of(1.0, 0.1, 0.05, 0.05, 0.05), r.lr());
        assertEquals(new ReduceOnPlateau.State(1, 0, 0), r.state());
    }

    @Test
    void aCutNoLargerThanEpsIsNotMadeButStillStartsTheCooldown() {
        // patience 0, factor 0.5, eps 0.3, cooldown 1: e2 bad 1 > 0 -> 1 - 0.5 = 0.5 > eps: cut, cooldown 1;
        // e3 cooldown used, bad 0; e4 bad 1 -> 0.5 - 0.25 = 0.25 <= eps: no cut, yet cooldown 1 and bad 0 again.
        Run r = run(Map.of("patience", 0, "factor", 0.5, "eps", 0.3, "cooldown", 1), 1, 1, 1, 1);
        assertEquals(List.of(2), r.cuts());
        assertEquals(new ReduceOnPlateau.State(1, 0, 1), r.state());
    }

    @Test
    void aNanValidationLossIsABadEvaluation() {
        // PyTorch: nan < best is false, so it counts against patience. patience 1: e1 best 1.0; e2, e3 NaN: bad 2.
        Run r = run(Map.of("patience", 1), 1.0, Double.NaN, Double.NaN);
        assertEquals(List.of(3), r.cuts());
        assertEquals(1.0, r.state().best());
    }

    @Test
    void theDefaultsArePyTorchs() {
        assertEquals(new ReduceOnPlateau.Config("reduce_on_plateau", 40, 0.1, 10, 1e-4, true, 0, 0, 1e-8),
                ReduceOnPlateau.create(Map.of(), "t").config());
        double[] flat = new double[23];
        Arrays.fill(flat, 2.0);
        // patience 10: bad reaches 11 at e12 and again 11 evaluations later, at e23.
        assertEquals(List.of(12, 23), run(Map.of(), flat).cuts());
    }

    @Test
    void badParamsNameTheFieldAndTheRange() {
        String m = assertThrows(IllegalArgumentException.class, () -> ReduceOnPlateau.create(Map.of("factor", 1.0),
                "plateau.json: controllers[0]")).getMessage();
        assertTrue(m.contains("controllers[0]") && m.contains("params.factor = 1.0") && m.contains("(0, 1)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ReduceOnPlateau.create(Map.of("threshold_mode",
                "relative"), "t")).getMessage();
        assertTrue(m.contains("params.threshold_mode") && m.contains("\"rel\", \"abs\""), m);
        m = assertThrows(IllegalArgumentException.class, () -> ReduceOnPlateau.create(Map.of("patience", 2.5), "t"))
                .getMessage();
        assertTrue(m.contains("params.patience = 2.5") && m.contains("whole number"), m);
    }
}
