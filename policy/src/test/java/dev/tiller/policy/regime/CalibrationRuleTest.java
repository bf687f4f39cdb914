package dev.tiller.policy.regime;

import dev.tiller.policy.regime.Decision.Change;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The regime's calibration rule over the branch scores a step's measurements carry. */
class CalibrationRuleTest {
    /** The learning-rate knob in [0.1, max], branches by factor 3, margin 0.1 of branch 0's progress. */
    private static RegimeSpec spec(double max) {
        Map<Knob, KnobSpec> knobs = new EnumMap<>(RegimeSpec.fixedKnobs());
        knobs.put(Knob.LR, new KnobSpec(Knob.LR, 0.1, max, 1, 0.1, 50));
        RegimeSpec s = RegimeSpec.staticRegime();
        return new RegimeSpec("t", knobs, ProbePlan.none(), List.of(), s.arbiter(), s.ring(), s.recovery(),
                s.trials(), Map.of(), new RegimeSpec.CalibrationSpec(0.1, 0.02, 10, 3, 2, 0.1));
    }

    /** Step signals with a start loss and branch scores by exponent. */
    private static Signals measured(double start, double... byExponent) {
        Map<String, Double> m = new TreeMap<>(Map.of(Signals.LOSS, 1.0, Signals.GRAD_NORM, 1.0, Signals.FINITE, 1.0,
                Signals.LR_BRANCH_START, start));
        for (int i = 0; i < byExponent.length; i += 2) {
            m.put(Signals.LR_BRANCH + (int) byExponent[i], byExponent[i + 1]);
        }
        return Signals.of(m);
    }

    /** A controller that asks for a higher learning rate at every step. */
    private record Eager() implements Controller<Integer> {
        @Override
        public String name() {
            return "eager";
        }

        @Override
        public Integer initial() {
            return 0;
        }

        @Override
        public Output<Integer> decide(long step, Signals signals, Knobs knobs, Integer state) {
            return new Output<>(state, List.of(Proposal.set("eager", Knob.LR, knobs.get(Knob.LR) * 1.05, 1,
                    "more", Map.of())));
        }
    }

    @Test
    void theBestBranchSetsTheRateInOneMoveAndTheControllersWaitForIt() {
        Regime r = Regime.of(spec(10), List.of(new Eager()));
        Decision d = r.decide(0, measured(1.5, 0, 1.0, 1, 0.8, -1, 1.2, 2, 0.9));
        Change c = d.changes().getFirst();
        assertEquals(List.of(Regime.CALIBRATE, 1.0, 3.0), List.of(c.controller(), c.old(), c.now()));
        assertEquals(0.8, c.evidence().get("lr_x3.000"));
        assertEquals(1.5, c.evidence().get("start"));
        assertEquals(1, d.changes().size(), "the eager controller's rise is not made at the calibration's step");
        assertTrue(d.rejections().getFirst().why().contains("calibration"), d.rejections().toString());
        assertEquals(3.0, d.knobs().get(Knob.LR));
    }

    @Test
    void aWinBelowTheMarginOfBranchZerosProgressKeepsTheRate() {
        // branch 0 went from 1.5 to 1.0; 3x must beat 1.0 by more than 0.1 x 0.5 = 0.05
        Decision kept = Regime.of(spec(10)).decide(0, measured(1.5, 0, 1.0, 1, 0.96, -1, 1.2));
        assertEquals(List.of(), kept.changes());
        Decision.Verdict v = kept.verdicts().getFirst();
        assertEquals(List.of(Regime.CALIBRATE, true), List.of(v.controller(), v.kept()));
        assertEquals(1.0, kept.knobs().get(Knob.LR));
        // the same gain moves it when branch 0 itself barely moved (a rate far too low)
        Decision moved = Regime.of(spec(10)).decide(0, measured(1.001, 0, 1.0, 1, 0.96, -1, 1.2));
        assertEquals(3.0, moved.knobs().get(Knob.LR));
    }

    @Test
    void nonFiniteBranchesNeverWinAndADivergingCurrentRateGivesWay() {
        Decision d = Regime.of(spec(10)).decide(0, measured(1.5, 0, Double.NaN, 1, Double.POSITIVE_INFINITY,
                -1, 1.4, -2, 1.45));
        assertEquals(1.0 / 3, d.knobs().get(Knob.LR), 1e-15);
        Decision none = Regime.of(spec(10)).decide(0, measured(1.5, 0, Double.NaN, 1, Double.NaN));
        assertEquals(1.0, none.knobs().get(Knob.LR));
        assertEquals(List.of(), none.changes());
    }

    @Test
    void theMoveStaysWithinTheKnobsBounds() {
        Decision d = Regime.of(spec(2)).decide(0, measured(1.5, 0, 1.0, 1, 0.7));
        assertEquals(2.0, d.knobs().get(Knob.LR));
    }

    @Test
    void stepsWithoutBranchesLeaveTheRuleOut() {
        Regime r = Regime.of(spec(10));
        Decision d = r.decide(0, Signals.of(Map.of(Signals.LOSS, 1.0, Signals.GRAD_NORM, 1.0, Signals.FINITE, 1.0)));
        assertEquals(List.of(), d.changes());
        assertEquals(List.of(), d.verdicts());
    }
}
