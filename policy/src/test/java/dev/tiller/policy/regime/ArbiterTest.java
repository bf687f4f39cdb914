package dev.tiller.policy.regime;

import dev.tiller.policy.regime.RegimeSpec.ArbiterSpec;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArbiterTest {
    /** lr in [0.5, 1.05] with max log-step 0.1 and cooldown 5; anchor in [0, 0.01], step 0.004; others fixed. */
    private static Arbiter arbiter(long window, int reversals, double hysteresis) {
        Map<Knob, KnobSpec> knobs = new EnumMap<>(RegimeSpec.fixedKnobs());
        knobs.put(Knob.LR, new KnobSpec(Knob.LR, 0.5, 1.05, 1, 0.1, 5));
        knobs.put(Knob.MOMENTUM, new KnobSpec(Knob.MOMENTUM, 0.5, 2, 1, 0.1, 0));
        knobs.put(Knob.ANCHOR, new KnobSpec(Knob.ANCHOR, 0, 0.01, 0, 0.004, 0));
        return new Arbiter(knobs, new ArbiterSpec(window, reversals, hysteresis));
    }

    private static Proposal set(String who, Knob k, double target, int priority) {
        return Proposal.set(who, k, target, priority, who + " wants " + target, Map.of());
    }

    @Test
    void aRollbackVetoesEverythingElse() {
        Proposal lr = set("a", Knob.LR, 0.9, 5);
        Proposal rb = Proposal.rollback("b", "spike", Map.of());
        Proposal skip = Proposal.skip("c", "nan", Map.of());
        Arbiter.Result r = arbiter(10, 2, 0).decide(3, List.of(lr, rb, skip), Knobs.neutral(), Arbiter.State.initial());
        assertEquals(rb, r.rollback());
        assertEquals(Knobs.neutral(), r.knobs());
        assertTrue(r.changes().isEmpty());
        assertEquals(List.of(new Decision.Rejection(lr, "vetoed by rollback (b)"),
                new Decision.Rejection(skip, "vetoed by rollback (b)")), r.rejections());
    }

    @Test
    void aSkipSkipsAndChangesStillApply() {
        Arbiter.Result r = arbiter(10, 2, 0).decide(0, List.of(Proposal.skip("c", "nan", Map.of()),
                set("a", Knob.LR, 0.95, 0)), Knobs.neutral(), Arbiter.State.initial());
        assertTrue(r.skip());
        assertNull(r.rollback());
        assertEquals(0.95, r.knobs().get(Knob.LR));
    }

    @Test
    void highestPriorityWinsAndTiesGoToTheEarlierController() {
        Arbiter a = arbiter(10, 2, 0);
        Proposal low = set("a", Knob.LR, 0.95, 1);
        Proposal high = set("b", Knob.LR, 0.92, 2);
        Arbiter.Result r = a.decide(0, List.of(low, high), Knobs.neutral(), Arbiter.State.initial());
        assertEquals(0.92, r.knobs().get(Knob.LR));
        assertEquals(1, r.changes().size());
        assertEquals("b", r.changes().get(0).controller());
        assertEquals(low, r.rejections().get(0).proposal());
        assertTrue(r.rejections().get(0).why().startsWith("one change per knob: b (priority 2)"));

        Proposal tie = set("c", Knob.LR, 0.97, 1);
        r = a.decide(0, List.of(low, tie), Knobs.neutral(), Arbiter.State.initial());
        assertEquals(0.95, r.knobs().get(Knob.LR));
        assertEquals(tie, r.rejections().get(0).proposal());
    }

    @Test
    void targetsAreClampedToTheMaximumStepAndTheBounds() {
        Arbiter a = arbiter(10, 2, 0);
        Arbiter.Result down = a.decide(0, List.of(set("a", Knob.LR, 0.1, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        assertEquals(StrictMath.exp(-0.1), down.knobs().get(Knob.LR), 1e-15);
        Arbiter.Result up = a.decide(0, List.of(set("a", Knob.LR, 5, 0)), Knobs.neutral(), Arbiter.State.initial());
        assertEquals(1.05, up.knobs().get(Knob.LR));       // max step allows e^0.1 = 1.105, the bound 1.05
        Arbiter.Result anchor = a.decide(0, List.of(set("a", Knob.ANCHOR, 1, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        assertEquals(0.004, anchor.knobs().get(Knob.ANCHOR));
        Arbiter.Result atBound = a.decide(0, List.of(set("a", Knob.LR, 5, 0)), Knobs.neutral().with(Knob.LR, 1.05),
                Arbiter.State.initial());
        assertTrue(atBound.changes().isEmpty());
        assertTrue(atBound.rejections().get(0).why().startsWith("at bound"));
        Arbiter.Result nan = a.decide(0, List.of(set("a", Knob.LR, Double.NaN, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        assertTrue(nan.rejections().get(0).why().startsWith("target not finite"));
    }

    @Test
    void aKnobRestsForItsCooldown() {
        Arbiter a = arbiter(100, 5, 0);
        Arbiter.Result first = a.decide(10, List.of(set("a", Knob.LR, 0.95, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        Arbiter.Result early = a.decide(14, List.of(set("a", Knob.LR, 0.9, 0)), first.knobs(), first.state());
        assertTrue(early.changes().isEmpty());
        assertEquals("cooldown: lr changed at step 11, cooldown 5 steps", early.rejections().get(0).why());
        Arbiter.Result later = a.decide(15, List.of(set("a", Knob.LR, 0.9, 0)), first.knobs(), first.state());
        assertEquals(0.9, later.knobs().get(Knob.LR));
    }

    @Test
    void changesBelowTheHysteresisAreNotMade() {
        Arbiter a = arbiter(10, 2, 0.01);
        Arbiter.Result small = a.decide(0, List.of(set("a", Knob.MOMENTUM, 1.009, 0),
                set("b", Knob.ANCHOR, 0.005, 0)), Knobs.neutral(), Arbiter.State.initial());
        assertEquals(1, small.changes().size());  // log(1.009) < 0.01; anchor: 0.004 >= 0.01 x its range 0.01
        assertEquals(Knob.ANCHOR, small.changes().get(0).knob());
        assertTrue(small.rejections().get(0).why().startsWith("below hysteresis"));
        Arbiter.Result tiny = a.decide(0, List.of(set("b", Knob.ANCHOR, 0.00009, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        assertEquals("below hysteresis: |change| 9.0E-5 < 1.0E-4", tiny.rejections().get(0).why());
        Arbiter.Result big = a.decide(0, List.of(set("a", Knob.MOMENTUM, 1.011, 0)), Knobs.neutral(),
                Arbiter.State.initial());
        assertEquals(1.011, big.knobs().get(Knob.MOMENTUM));
    }

    @Test
    void aKnobThatKeepsReversingIsFrozenUntilTheWindowClears() {
        Arbiter a = arbiter(10, 2, 0);
        Knobs k = Knobs.neutral();
        Arbiter.State s = Arbiter.State.initial();
        double[] targets = {1.05, 0.95, 1.05};                  // up, down (reversal 1), up (reversal 2)
        for (int t = 0; t < 3; t++) {
            Arbiter.Result r = a.decide(t, List.of(set("a", Knob.MOMENTUM, targets[t], 0)), k, s);
            assertEquals(1, r.changes().size());
            k = r.knobs();
            s = r.state();
        }
        assertEquals(2, s.reversals(Knob.MOMENTUM, 2, 10));
        Arbiter.Result frozen = a.decide(3, List.of(set("a", Knob.MOMENTUM, 1.08, 0)), k, s);
        assertTrue(frozen.changes().isEmpty(), "a move in the same direction is frozen too");
        assertEquals("oscillation guard: momentum reversed 2 times in the last 10 steps",
                frozen.rejections().get(0).why());
        assertFalse(a.decide(11, List.of(set("a", Knob.MOMENTUM, 1.08, 0)), k, s).changes().isEmpty(),
                "at step 11 the reversal at step 1 has left the window (11 - 10 = 1)");
        assertTrue(a.decide(10, List.of(set("a", Knob.MOMENTUM, 1.08, 0)), k, s).changes().isEmpty());
    }
}
