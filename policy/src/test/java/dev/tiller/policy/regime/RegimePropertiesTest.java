package dev.tiller.policy.regime;

import dev.tiller.policy.regime.Decision.Change;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Adversarial signal sequences (spikes, NaN and infinities, oscillation, constants, step changes, missing values)
 * through regimes with random limits and controllers that propose random targets, rollbacks, skips and trials. Each
 * rule is checked from the decisions alone, not from the regime's internals.
 */
class RegimePropertiesTest {
    private static final long SEED = 0x7111E4L;
    private static final int EXAMPLES = 100;

    @Test
    void boundsStepsCooldownsAndTheOscillationGuardHold() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES)
                .forAll(longs().all(), integers().between(1, 400))
                .checkAssert((seed, steps) -> {
                    RegimeSpec spec = Adversary.spec(seed);
                    List<Signals> signals = Adversary.signals(seed, steps);
                    checkRules(spec, signals, Adversary.run(spec, Adversary.controllers(seed), signals));
                });
    }

    @Test
    void rollbacksGoToTheNewestKnownGoodSnapshotStillKept() {
        qt().withFixedSeed(SEED + 1).withExamples(EXAMPLES)
                .forAll(longs().all(), integers().between(1, 400))
                .checkAssert((seed, steps) -> {
                    RegimeSpec spec = Adversary.spec(seed);
                    List<Signals> signals = Adversary.signals(seed, steps);
                    checkRollbacks(spec, signals, Adversary.run(spec, Adversary.controllers(seed), signals));
                });
    }

    @Test
    void sameInputsGiveTheSameDecisions() {
        qt().withFixedSeed(SEED + 2).withExamples(60)
                .forAll(longs().all(), integers().between(1, 300))
                .checkAssert((seed, steps) -> {
                    RegimeSpec spec = Adversary.spec(seed);
                    List<Signals> signals = Adversary.signals(seed, steps);
                    assertEquals(Adversary.run(spec, Adversary.controllers(seed), signals),
                            Adversary.run(spec, Adversary.controllers(seed), signals));
                });
    }

    @Test
    void restoringASnapshotGivesTheSameLaterDecisions() {
        qt().withFixedSeed(SEED + 3).withExamples(60)
                .forAll(longs().all(), integers().between(2, 300), integers().between(0, 1000))
                .checkAssert((seed, steps, cut) -> {
                    RegimeSpec spec = Adversary.spec(seed);
                    List<Signals> signals = Adversary.signals(seed, steps);
                    int k = cut % steps;
                    Regime regime = Regime.of(spec, Adversary.controllers(seed));
                    for (int t = 0; t < k; t++) {
                        regime.decide(t, signals.get(t));
                    }
                    Regime.State snap = regime.snapshot();
                    List<Decision> straight = rest(regime, signals, k);
                    regime.restore(snap);
                    assertEquals(straight, rest(regime, signals, k));
                    Regime other = Regime.of(spec, Adversary.controllers(seed));
                    other.restore(snap);
                    assertEquals(straight, rest(other, signals, k));
                });
    }

    /**
     * The presets' real controllers under the same adversarial signals: the rules hold, and restoring a snapshot
     * gives the same later decisions (the controllers' state lives in the regime's state).
     */
    @Test
    void thePresetsKeepTheRulesAndReplayUnderAdversarialSignals() {
        qt().withFixedSeed(SEED + 4).withExamples(20)
                .forAll(longs().all(), integers().between(2, 300), integers().between(0, 1000))
                .checkAssert((seed, steps, cut) -> {
                    for (String preset : List.of("adaptive", "plateau")) {
                        RegimeSpec spec = RegimeSpec.preset(preset);
                        List<Signals> signals = Adversary.signals(seed, steps);
                        Regime regime = Regime.of(spec);
                        List<Decision> ds = rest(regime, signals, 0);
                        checkRules(spec, signals, ds);
                        int k = cut % steps;
                        Regime again = Regime.of(spec);
                        rest(again, signals.subList(0, k), 0);
                        Regime restored = Regime.of(spec);
                        restored.restore(again.snapshot());
                        assertEquals(ds.subList(k, steps), rest(restored, signals, k), preset);
                    }
                });
    }

    /** The adversary reaches every rule, so the properties above are not vacuous. */
    @Test
    void theAdversaryReachesEveryRule() {
        Map<String, Integer> seen = new TreeMap<>();
        for (long seed = 0; seed < 40; seed++) {
            RegimeSpec spec = Adversary.spec(seed);
            for (Decision d : Adversary.run(spec, Adversary.controllers(seed), Adversary.signals(seed, 300))) {
                if (d.rollback()) {
                    seen.merge("rollback", 1, Integer::sum);
                }
                if (d.skip()) {
                    seen.merge("skip", 1, Integer::sum);
                }
                for (Change c : d.changes()) {
                    seen.merge("change by " + (c.controller().length() == 1 ? "a controller" : c.controller()), 1,
                            Integer::sum);
                }
                for (Decision.Verdict v : d.verdicts()) {
                    seen.merge(v.kept() ? "trial kept" : "trial reverted", 1, Integer::sum);
                }
                for (Decision.Rejection r : d.rejections()) {
                    String why = r.why();
                    seen.merge(why.substring(0, Math.min(why.length(), why.indexOf(' ') < 0 ? why.length()
                            : why.indexOf(' '))), 1, Integer::sum);
                }
            }
        }
        for (String rule : List.of("rollback", "skip", "change by a controller", "change by rollback",
                "change by trial", "trial kept", "trial reverted", "vetoed", "one", "cooldown:", "oscillation",
                "below", "target", "trial", "rollback", "no")) {
            assertTrue(seen.getOrDefault(rule, 0) > 0, "never reached: " + rule + " in " + seen);
        }
    }

    private static List<Decision> rest(Regime regime, List<Signals> signals, int from) {
        List<Decision> out = new ArrayList<>();
        for (int t = from; t < signals.size(); t++) {
            out.add(regime.decide(t, signals.get(t)));
        }
        return out;
    }

    /**
     * Bounds at every step; one change per knob per decision and knob values that move only by logged changes; no
     * move beyond the maximum step outside a rollback decision and a calibration; every change but a rollback's
     * restore, a trial's revert and a calibration keeps the cooldown since the knob's last change of any kind; the
     * controllers' changes are never made while their earlier changes of the knob reversed direction maxReversals
     * times within the oscillation window (recovery and calibration moves are the regime's own and do not count);
     * snapshots exactly every ring.every steps.
     */
    static void checkRules(RegimeSpec spec, List<Signals> signals, List<Decision> ds) {
        Knobs prev = Regime.of(spec, List.of()).knobs();
        Map<Knob, Long> last = new EnumMap<>(Knob.class);
        Map<Knob, List<long[]>> moves = new EnumMap<>(Knob.class);
        long window = spec.arbiter().oscillationWindow();
        for (int t = 0; t < ds.size(); t++) {
            Decision d = ds.get(t);
            assertEquals(t, d.step());
            assertEquals(spec.ring().capacity() > 0 && (t + 1) % spec.ring().every() == 0, d.snapshot(), "snapshot");
            Map<Knob, Change> byKnob = new EnumMap<>(Knob.class);
            for (Change c : d.changes()) {
                if (byKnob.put(c.knob(), c) != null) {
                    fail("step " + t + ": two changes of " + c.knob());
                }
            }
            for (Knob k : Knob.values()) {
                KnobSpec ks = spec.knobs().get(k);
                double v = d.knobs().get(k);
                assertTrue(v >= ks.min() && v <= ks.max(), "step " + t + ": " + k + " = " + v + " outside bounds");
                Change c = byKnob.get(k);
                if (c == null) {
                    assertEquals(prev.get(k), v, "step " + t + ": " + k + " moved without a change");
                    continue;
                }
                assertEquals(prev.get(k), c.old(), "step " + t + ": change's old value");
                assertEquals(v, c.now(), "step " + t + ": change's new value");
                assertTrue(c.now() != c.old(), "step " + t + ": a change that changes nothing");
                if (!d.rollback() && !c.controller().equals(Regime.CALIBRATE)) {
                    double size = ks.multiplicative() ? Math.abs(StrictMath.log(c.now() / c.old()))
                            : Math.abs(c.now() - c.old());
                    assertTrue(size <= ks.maxStep() * (1 + 1e-12), "step " + t + ": " + k + " moved " + size
                            + " > max step " + ks.maxStep() + " by " + c.controller());
                }
                boolean recovery = d.rollback() || c.controller().equals(Regime.TRIAL)
                        || c.controller().equals(Regime.ROLLBACK) || c.controller().equals(Regime.CALIBRATE);
                if (!recovery) {
                    Long l = last.get(k);
                    assertTrue(l == null || t - l >= ks.cooldown(), "step " + t + ": " + k + " changed at " + l
                            + " and again within cooldown " + ks.cooldown() + " by " + c.controller());
                }
                if (!recovery) {
                    int reversals = 0;
                    List<long[]> ms = moves.getOrDefault(k, List.of());
                    for (int i = 1; i < ms.size(); i++) {
                        if (ms.get(i)[1] != ms.get(i - 1)[1] && ms.get(i)[0] > t - window) {
                            reversals++;
                        }
                    }
                    assertTrue(reversals < spec.arbiter().maxReversals(), "step " + t + ": " + k + " moved after "
                            + reversals + " reversals within " + window + " steps");
                }
                last.put(k, (long) t);
                if (!recovery) {
                    moves.computeIfAbsent(k, x -> new ArrayList<>()).add(new long[] {t, c.now() > c.old() ? 1 : -1});
                }
            }
            prev = d.knobs();
        }
    }

    /** A rollback's target was snapshotted, is still among the newest ring.capacity and was known-good. */
    static void checkRollbacks(RegimeSpec spec, List<Signals> signals, List<Decision> ds) {
        boolean[] anomaly = new boolean[ds.size()];
        for (int t = 0; t < ds.size(); t++) {
            Decision d = ds.get(t);
            Signals s = signals.get(t);
            anomaly[t] = d.skip() || d.rollback()
                    || (s.has(Signals.LOSS) && !Double.isFinite(s.get(Signals.LOSS)))
                    || (s.has(Signals.GRAD_NORM) && !Double.isFinite(s.get(Signals.GRAD_NORM)))
                    || (s.has(Signals.FINITE) && s.get(Signals.FINITE) != 1)
                    || d.rejections().stream().anyMatch(r -> r.proposal().action() != Proposal.Action.SET);
        }
        int[] snapshotsBefore = new int[ds.size() + 1];
        for (int t = 0; t < ds.size(); t++) {
            snapshotsBefore[t + 1] = snapshotsBefore[t] + (ds.get(t).snapshot() ? 1 : 0);
        }
        long lastRollback = -1;
        for (int t = 0; t < ds.size(); t++) {
            Decision d = ds.get(t);
            long newest = -1;
            for (int s = 0; s < t; s++) {
                if (knownGoodAndKept(spec, ds, anomaly, snapshotsBefore, s, t)) {
                    newest = s;
                }
            }
            if (d.rollback()) {
                assertEquals(newest, d.rollbackTo(), "step " + t + ": rollback target");
                assertTrue(lastRollback < 0 || t - lastRollback >= spec.recovery().cooldown()
                        || d.rollbackTo() >= lastRollback,
                        "step " + t + ": rollback within cooldown to a snapshot older than the last rollback");
                KnobSpec lr = spec.knobs().get(Knob.LR);
                double saved = ds.get((int) d.rollbackTo()).knobs().get(Knob.LR);
                assertEquals(Math.max(lr.min(), saved * spec.recovery().lrFactor()), d.knobs().get(Knob.LR),
                        "step " + t + ": learning rate after the rollback");
                lastRollback = t;
            } else if (d.why().contains("rollback cooldown")) {
                assertTrue(lastRollback >= 0 && t - lastRollback < spec.recovery().cooldown() && newest >= 0
                        && newest < lastRollback, "step " + t + ": skipped for the cooldown although snapshot "
                        + newest + " came after the last rollback at " + lastRollback);
                assertTrue(d.skip());
            } else if (d.why().contains("no known-good snapshot")) {
                assertEquals(-1, newest, "step " + t + ": skipped although snapshot " + newest + " was known-good");
                assertTrue(d.skip());
            }
        }
    }

    private static boolean knownGoodAndKept(RegimeSpec spec, List<Decision> ds, boolean[] anomaly,
                                            int[] snapshotsBefore, int s, int t) {
        if (!ds.get(s).snapshot()) {
            return false;
        }
        int newer = snapshotsBefore[t] - snapshotsBefore[s + 1];
        long w = Math.max(1, spec.ring().goodWindow());
        if (newer >= spec.ring().capacity() || s + w > t - 1) {
            return false;
        }
        for (long u = s + 1; u <= s + w; u++) {
            if (anomaly[(int) u]) {
                return false;
            }
        }
        return true;
    }
}
