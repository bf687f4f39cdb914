package dev.tiller.policy.regime;

import dev.tiller.policy.regime.RegimeSpec.ArbiterSpec;
import dev.tiller.policy.regime.RegimeSpec.RecoverySpec;
import dev.tiller.policy.regime.RegimeSpec.RingSpec;
import dev.tiller.policy.regime.RegimeSpec.TrialSpec;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rollback targets, the recovery rule, its ramp and cooldown, and trial verdicts, on scripted runs. */
class RegimeRecoveryTest {
    /** Proposes what script says at each step; its state counts the steps it has seen. */
    private record Script(LongFunction<List<Proposal>> script) implements Controller<Integer> {
        @Override
        public String name() {
            return "script";
        }

        @Override
        public Integer initial() {
            return 0;
        }

        @Override
        public Output<Integer> decide(long step, Signals signals, Knobs knobs, Integer seen) {
            return new Output<>(seen + 1, script.apply(step));
        }
    }

    /** lr in [0.1, 2], max log-step 0.2, no cooldown; snapshots every 2 steps, 3 kept, good after 2 quiet steps. */
    private static RegimeSpec spec() {
        return spec(0, 4);
    }

    private static RegimeSpec spec(long lrCooldown, long rampSteps) {
        Map<Knob, KnobSpec> knobs = new EnumMap<>(RegimeSpec.fixedKnobs());
        knobs.put(Knob.LR, new KnobSpec(Knob.LR, 0.1, 2, 1, 0.2, lrCooldown));
        return new RegimeSpec("test", knobs, ProbePlan.none(), List.of(), new ArbiterSpec(100, 3, 0),
                new RingSpec(2, 3, 2), new RecoverySpec(0.5, rampSteps, 10), new TrialSpec(50, 0));
    }

    private static Signals loss(double v) {
        return Signals.of(Map.of(Signals.LOSS, v, Signals.GRAD_NORM, 1.0, Signals.FINITE, 1.0));
    }

    private static Proposal lr(double target) {
        return Proposal.set("script", Knob.LR, target, 0, "scripted", Map.of());
    }

    /**
     * A finite spike that is still there on the step after a rollback to known-good weights is a new level: the
     * regime trains on it (rejecting the skips and rollbacks) until the episode ends; a non-finite step still skips,
     * and a spike after a calm step is a new episode that the usual rules handle.
     */
    @Test
    void aSpikeThatOutlastsARollbackIsANewLevelAndTrains() {
        Proposal skip = Proposal.skip("script", "spike", Map.of());
        Proposal back = Proposal.rollback("script", "spike", Map.of());
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 10 ? List.of(back)
                : t >= 11 && t <= 15 ? List.of(t == 13 ? back : skip)
                : t == 18 ? List.of(skip) : List.of())));
        for (int t = 0; t < 10; t++) {
            regime.decide(t, loss(3));
        }
        assertTrue(regime.decide(10, loss(30)).rollback());
        for (int t = 11; t <= 14; t++) {
            Decision d = regime.decide(t, loss(30));
            assertFalse(d.skip() || d.rollback(), "step " + t + " trains on the new level");
            assertTrue(d.rejections().stream().anyMatch(r -> r.why().startsWith("level change: the spike outlasted"
                    + " the rollback at step 11")), "step " + t + ": " + d.rejections());
        }
        Decision nan = regime.decide(15, Signals.of(Map.of(Signals.LOSS, Double.NaN, Signals.FINITE, 0.0)));
        assertTrue(nan.skip() && nan.rejections().isEmpty(), "a non-finite step is never waved through: "
                + nan.rejections());
        regime.decide(16, loss(30));                                  // calm (no proposal): the episode ends
        regime.decide(17, loss(30));
        assertTrue(regime.decide(18, loss(30)).skip(), "a spike after a calm step is skipped as usual");
    }

    @Test
    void rollbackRestoresTheNewestKnownGoodSnapshotHalvesTheRateAndRampsItBack() {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 2 ? List.of(lr(1.2))
                : t == 8 ? List.of(lr(1.4))
                : t == 10 || t == 16 ? List.of(Proposal.rollback("script", "spike", Map.of()), lr(0.5))
                : List.of())));
        for (int t = 0; t < 10; t++) {
            Decision d = regime.decide(t, loss(3));
            assertEquals(t % 2 == 1, d.snapshot());
        }
        // snapshots after 1, 3, 5, 7, 9; the ring keeps 5, 7, 9; 7 turned good at step 9, 9 needs step 11
        Decision d = regime.decide(10, loss(30));
        assertTrue(d.rollback());
        assertEquals(7, d.rollbackTo());
        assertEquals(0.6, d.knobs().get(Knob.LR));                   // 1.2 at the snapshot, x 0.5
        assertEquals(List.of(new Decision.Change(Regime.ROLLBACK, Knob.LR, 1.4, 0.6,
                "rolled back to the snapshot after step 8 (spike); learning rate x 0.5",
                Map.of("snapshot_step", 8.0))), d.changes());
        assertEquals("vetoed by rollback (script)", d.rejections().get(0).why());
        assertEquals(8, (Integer) regime.snapshot().core().controllers().get(0), "controller state of step 7");

        double[] ramp = new double[4];
        for (int t = 11; t <= 14; t++) {
            ramp[t - 11] = regime.decide(t, loss(3)).knobs().get(Knob.LR);
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(0.6 * StrictMath.pow(2, (i + 1) / 4.0), ramp[i], 1e-12, "ramp step " + i);
        }
        assertEquals(1.2, ramp[3], 1e-12);
        regime.decide(15, loss(3));

        // within the rollback cooldown of 10 steps, but the snapshot after step 13 (taken since the rollback)
        // turned good at step 15: a safe state of its own, so the rollback goes there
        Decision again = regime.decide(16, loss(30));
        assertTrue(again.rollback(), again.why());
        assertEquals(13, again.rollbackTo());
        assertEquals(ramp[2] * 0.5, again.knobs().get(Knob.LR), 1e-15);
    }

    @Test
    void aRollbackWithinTheCooldownToASnapshotOlderThanTheLastRollbackIsASkip() {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 10 || t == 12
                ? List.of(Proposal.rollback("script", "spike", Map.of()), lr(0.5)) : List.of())));
        for (int t = 0; t < 10; t++) {
            regime.decide(t, loss(3));
        }
        assertEquals(7, regime.decide(10, loss(30)).rollbackTo());
        assertEquals(0.5 * StrictMath.pow(2, 0.25), regime.decide(11, loss(3)).knobs().get(Knob.LR), 1e-15);
        // the snapshot after step 11 needs step 13 to turn good; the newest good one (7) predates the rollback
        Decision again = regime.decide(12, loss(30));
        assertFalse(again.rollback());
        assertTrue(again.skip());
        assertTrue(again.why().contains("rollback cooldown: last rollback at step 11"), again.why());
        assertTrue(again.why().contains("no known-good snapshot since"), again.why());
        assertEquals(0.5, again.knobs().get(Knob.LR), 1e-15,
                "a skip still lets other proposals through the arbiter: the scripted 0.5, within one maximum step");
    }

    @Test
    void theRampMovesEveryStepWithinTheMaximumStepDespiteTheCooldownUntilTheRateIsBack() {
        Regime regime = Regime.of(spec(3, 2), List.of(new Script(t -> t == 2 ? List.of(lr(1.2))
                : t == 10 ? List.of(Proposal.rollback("script", "spike", Map.of())) : List.of())));
        double[] lr = new double[25];
        for (int t = 0; t < 25; t++) {
            lr[t] = regime.decide(t, loss(3)).knobs().get(Knob.LR);
        }
        assertEquals(0.6, lr[10]);
        double e = StrictMath.exp(0.2);
        // the path wants half the cut (ln 2) at step 11 and all of it at 12; the maximum step (0.2) sets the pace,
        // the knob's cooldown of 3 steps does not
        double[] expected = {0.6 * e, 0.6 * e * e, 0.6 * e * e * e, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2,
            1.2, 1.2};
        for (int t = 11; t < 25; t++) {
            assertEquals(expected[t - 11], lr[t], 1e-12, "step " + t);
        }
        assertEquals(null, regime.snapshot().ramp());
    }

    @Test
    void aControllersChangeStandsAndTheRampGivesBackOnlyTheCut() {
        Regime regime = Regime.of(spec(0, 10), List.of(new Script(t -> t == 2 ? List.of(lr(1.2))
                : t == 10 ? List.of(Proposal.rollback("script", "spike", Map.of()))
                : t == 12 ? List.of(lr(0.55)) : List.of())));
        for (int t = 0; t < 12; t++) {
            regime.decide(t, loss(3));
        }
        Decision d = regime.decide(12, loss(3));                   // the ramp gave back 1/10 of the cut at 11
        assertEquals(0.55, d.knobs().get(Knob.LR));
        assertEquals(List.of("script"), d.changes().stream().map(Decision.Change::controller).toList());
        double lr = 0;
        for (int t = 13; t < 40; t++) {
            lr = regime.decide(t, loss(3)).knobs().get(Knob.LR);
        }
        assertEquals(0.55 * StrictMath.pow(2, 0.9), lr, 1e-12, "the other 9/10 of the x 0.5 come back");
        assertEquals(null, regime.snapshot().ramp());
    }

    @Test
    void withoutAKnownGoodSnapshotTheStepIsSkipped() {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 2
                ? List.of(Proposal.rollback("script", "nan", Map.of())) : List.of())));
        regime.decide(0, loss(3));
        regime.decide(1, loss(3));                                  // snapshot after 1: pending until step 3
        Decision d = regime.decide(2, loss(Double.NaN));
        assertFalse(d.rollback());
        assertTrue(d.skip());
        assertTrue(d.why().contains("no known-good snapshot"), d.why());
        assertEquals("no known-good snapshot to roll back to; skipped instead", d.rejections().get(0).why());
    }

    @Test
    void anAnomalyMakesTheSnapshotsBeforeItBad() {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 10
                ? List.of(Proposal.rollback("script", "spike", Map.of())) : List.of())));
        for (int t = 0; t < 10; t++) {
            regime.decide(t, loss(t == 8 ? Double.POSITIVE_INFINITY : 3));
        }
        // the ring keeps 5, 7, 9: 5 turned good at 7; 7 was pending at 8's non-finite loss: bad
        assertEquals(5, regime.decide(10, loss(3)).rollbackTo());
    }

    /** Losses fall as 10 - 0.1 t up to the trial at step 20; then as after says. */
    private static Decision trial(LongFunction<Double> after, Regime[] out) {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> t == 20
                ? List.of(new Proposal("script", Proposal.Action.SET, Knob.LR, 1.1, 0, 5, "try more", Map.of()))
                : t == 22 ? List.of(lr(0.9)) : List.of())));
        out[0] = regime;
        Decision last = null;
        for (int t = 0; t <= 25; t++) {
            last = regime.decide(t, loss(t <= 20 ? 10 - 0.1 * t : after.apply(t)));
            if (t == 20) {
                assertEquals(1.1, last.knobs().get(Knob.LR));
            }
            if (t == 22) {
                assertEquals("trial in progress on lr", last.rejections().get(0).why());
            }
            if (t < 25) {
                assertTrue(last.verdicts().isEmpty());
            }
        }
        return last;
    }

    @Test
    void aTrialThatBeatsTheTrendIsKept() {
        Regime[] r = new Regime[1];
        Decision d = trial(t -> 10 - 0.2 * t, r);                  // falls faster than the trend 10 - 0.1 t
        assertEquals(1, d.verdicts().size());
        assertTrue(d.verdicts().get(0).kept());
        assertEquals(10 - 0.2 * 23, d.verdicts().get(0).evidence().get("observed_loss"), 1e-9);
        assertEquals(10 - 0.1 * 23, d.verdicts().get(0).evidence().get("predicted_loss"), 1e-9);
        assertEquals(1.1, d.knobs().get(Knob.LR));
        assertTrue(d.changes().isEmpty());
    }

    @Test
    void aTrialThatFallsBehindTheTrendIsReverted() {
        Regime[] r = new Regime[1];
        Decision d = trial(t -> 8.0, r);                           // flat at 8 > the trend's mean 7.7
        assertFalse(d.verdicts().get(0).kept());
        assertEquals(1.0, d.knobs().get(Knob.LR));
        assertEquals(Regime.TRIAL, d.changes().get(0).controller());
        assertEquals(1.1, d.changes().get(0).old());
        assertEquals(1.0, d.changes().get(0).now());
    }

    @Test
    void nonFiniteAndMissingSignalsNeverThrow() {
        Regime regime = Regime.of(spec(), List.of(new Script(t -> List.of(lr(t % 2 == 0 ? 2 : 0.1)))));
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int t = 0; t < 30; t++) {
            Signals s = t % 4 == 3 ? Signals.empty() : Signals.of(Map.of(Signals.LOSS, bad[t % 3],
                    Signals.GRAD_NORM, bad[(t + 1) % 3], Signals.FINITE, 0.0));
            double v = regime.decide(t, s).knobs().get(Knob.LR);
            assertTrue(v >= 0.1 && v <= 2);
        }
    }
}
