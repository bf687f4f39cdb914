package dev.tiller.cli.study;

import dev.tiller.cli.study.Analysis.FaultRecovery;
import dev.tiller.cli.study.Analysis.Goal;
import dev.tiller.cli.study.Analysis.Robustness;
import dev.tiller.cli.study.Analysis.Row;
import dev.tiller.cli.study.Analysis.ShiftResult;
import dev.tiller.cli.study.Analysis.Status;
import dev.tiller.cli.study.Analysis.TimeToTarget;
import dev.tiller.cli.study.Analysis.WorkloadResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.tiller.cli.study.Runs.base;
import static dev.tiller.cli.study.Runs.curve;
import static dev.tiller.cli.study.Runs.fin;
import static dev.tiller.cli.study.Runs.pt;
import static dev.tiller.cli.study.Runs.run;
import static dev.tiller.cli.study.Runs.withShift;
import static dev.tiller.cli.study.Runs.withTrain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnalysisTest {
    private static final double EPS = 1e-12;

    private static Goal goal(Analysis a, String startsWith) {
        return a.goals().stream().filter(g -> g.name().startsWith(startsWith)).findFirst().orElseThrow();
    }

    @Test
    void medianRanksNaNLastAndAveragesTheMiddlePair() {
        assertEquals(2.0, Analysis.median(3, 1, 2), EPS);
        assertEquals(2.5, Analysis.median(4, 1, 2, 3), EPS);
        assertEquals(Double.POSITIVE_INFINITY, Analysis.median(1, Double.NaN, Double.POSITIVE_INFINITY));
        assertEquals(3.0, Analysis.median(3, Double.NaN, 1), EPS);          // sorted: 1, 3, inf
        assertEquals(Double.POSITIVE_INFINITY, Analysis.median(1, Double.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(Analysis.median()));
    }

    @Test
    void oracleIsTheBestGridPointAndTheTargetItsMedianOverSeeds() {
        List<RunResult> runs = new ArrayList<>();
        // grid on seed 0: 0.25 -> 3.0, 0.5 -> 2.0, 1 (the static run) -> 2.2, 2 -> 2.5, 4 diverged: best is 0.5
        runs.add(fin("w", "grid", "base", 0.25, 0, 3.0));
        runs.add(fin("w", "grid", "base", 0.5, 0, 2.0));
        runs.add(fin("w", "grid", "base", 2, 0, 2.5));
        runs.add(fin("w", "grid", "base", 4, 0, Double.NaN));
        // static: seed 0 reaches 2.0 at step 300, seed 1 at step 200, seed 2 never (ends at 2.1)
        runs.add(base("w", "static", 0, curve(100, 0.01, 3.0, 2.5, 2.0, 2.2)));
        runs.add(base("w", "static", 1, curve(100, 0.01, 3.0, 1.9, 1.8, 1.7)));
        runs.add(base("w", "static", 2, curve(100, 0.01, 3.0, 2.5, 2.3, 2.1)));
        // the oracle on seeds 1 and 2; seed 0 is the grid's 0.5 point
        runs.add(run("w", "oracle", "base", 0.5, 1, List.of(pt(100, 1, 1.8))));
        runs.add(run("w", "oracle", "base", 0.5, 2, List.of(pt(100, 1, 2.4))));
        Analysis a = Analysis.of(runs);
        WorkloadResult w = a.workload("w").orElseThrow();
        assertEquals(0.5, w.oracleFactor(), EPS);
        assertEquals(5, w.grid().size());
        assertEquals(2.2, w.grid().get(1.0), EPS);                    // the static run of seed 0 is the factor-1 point
        assertEquals(3, w.runs().get("oracle").size());
        assertEquals(2.0, w.target(), EPS);                             // median of 1.8, 2.0, 2.4
        Row s = w.row("static").orElseThrow();
        // steps to 2.0: 300, 200, never -> sorted 200, 300, inf -> 300; CPU-s = 300 * 0.01 = 3.0; samples 300 * 8
        assertEquals(300, s.stepsToTarget(), EPS);
        assertEquals(3.0, s.cpuToTarget(), EPS);
        assertEquals(2400, s.samplesToTarget(), EPS);
        // final metrics 2.2, 1.7, 2.1 -> median 2.1, range [1.7, 2.2]
        assertEquals(2.1, s.finalMedian(), EPS);
        assertEquals(1.7, s.finalMin(), EPS);
        assertEquals(2.2, s.finalMax(), EPS);
        assertEquals(3, s.seeds());
    }

    @Test
    void timeToTargetIsTheFirstPointAtOrBelowTheTarget() {
        RunResult r = base("w", "static", 0, curve(10, 0.5, 4, 3, 2, 1, 2));
        TimeToTarget t = Analysis.timeToTarget(r, 2.0).orElseThrow();
        assertEquals(30, t.step());
        assertEquals(240, t.samples());
        assertEquals(15.0, t.cpuSeconds(), EPS);
        assertTrue(Analysis.timeToTarget(r, 0.5).isEmpty());
        assertTrue(Analysis.timeToTarget(r, Double.NaN).isEmpty());
        assertTrue(Analysis.timeToTarget(base("w", "static", 0, curve(10, 1, Double.NaN)), 5).isEmpty());
    }

    @Test
    void anOracleFactorOfOneTakesTheStaticRunsOnEverySeed() {
        List<RunResult> runs = new ArrayList<>();
        runs.add(fin("w", "grid", "base", 0.25, 0, 3.0));
        runs.add(fin("w", "grid", "base", 0.5, 0, 2.5));
        runs.add(fin("w", "grid", "base", 2, 0, 2.1));
        runs.add(fin("w", "grid", "base", 4, 0, 2.6));
        runs.add(fin("w", "static", "base", 1, 0, 2.0));
        runs.add(fin("w", "static", "base", 1, 1, 1.9));
        runs.add(fin("w", "static", "base", 1, 2, 2.3));
        WorkloadResult w = Analysis.of(runs).workload("w").orElseThrow();
        assertEquals(1.0, w.oracleFactor(), EPS);
        assertEquals(3, w.runs().get("oracle").size());
        assertEquals(2.0, w.target(), EPS);                             // median of 2.0, 1.9, 2.3
    }

    @Test
    void profileScoreIsTheExactIntegralOfTheStepFunction() {
        // ratios 1.5, a miss and 4: rho = 0 on [1, 1.5), 1/3 on [1.5, 4) (r = 4 counts only at tau = 4, measure 0)
        // integral = 2.5/3; score = (1/3) * 2.5/3 = 2.5/9
        assertEquals(2.5 / 9, Analysis.profileScore(List.of(1.5, Double.POSITIVE_INFINITY, 4.0), 4), EPS);
        assertEquals(1.0, Analysis.profileScore(List.of(1.0, 1.0), 4), EPS);
        assertEquals(0.0, Analysis.profileScore(List.of(5.0), 4), EPS);
    }

    @Test
    void profileOnTwoWorkloadsAndThreeContenders() {
        List<RunResult> runs = new ArrayList<>();
        // workload a: the oracle ends at 1.0 (the target) at 10 CPU-s; static reaches 1.0 at 20 s, adaptive at 50 s
        runs.add(base("a", "oracle", 0, List.of(pt(100, 10, 1.0))));
        runs.add(base("a", "static", 0, List.of(pt(100, 10, 1.5), pt(200, 20, 0.9))));
        runs.add(base("a", "adaptive", 0, List.of(pt(100, 10, 2.0), pt(500, 50, 1.0))));
        // workload b: the oracle reaches its final 1.0 at 45 s, static 1.0 at 15 s, adaptive never (ends at 1.5)
        runs.add(base("b", "oracle", 0, List.of(pt(100, 15, 2.0), pt(300, 45, 1.0))));
        runs.add(base("b", "static", 0, List.of(pt(100, 15, 0.8))));
        runs.add(base("b", "adaptive", 0, List.of(pt(100, 15, 1.5))));
        Analysis an = Analysis.of(runs);
        // ratios on CPU-s: a: oracle 1, static 2, adaptive 5; b: oracle 3, static 1, adaptive inf
        assertEquals(1.0, an.cpuProfile().ratios().get("oracle").get("a"), EPS);
        assertEquals(3.0, an.cpuProfile().ratios().get("oracle").get("b"), EPS);
        assertEquals(5.0, an.cpuProfile().ratios().get("adaptive").get("a"), EPS);
        // oracle: rho = 1/2 on [1, 3), 1 on [3, 4]: integral 1 + 1 = 2, score 2/3
        // static: rho = 1/2 on [1, 2), 1 on [2, 4]: integral 0.5 + 2 = 2.5, score 2.5/3
        // adaptive: 5 and inf are both beyond r_max: 0
        assertEquals(2.0 / 3, an.cpuProfile().score("oracle"), EPS);
        assertEquals(2.5 / 3, an.cpuProfile().score("static"), EPS);
        assertEquals(0.0, an.cpuProfile().score("adaptive"), EPS);
        // steps: a: 100, 200, 500 and b: 300, 100, never give the same ratios
        assertEquals(2.0 / 3, an.stepProfile().score("oracle"), EPS);
        assertEquals(2.5 / 3, an.stepProfile().score("static"), EPS);
        assertEquals(Status.NOT_MET, goal(an, "adaptive has the highest").status());
        // adaptive's CPU-s to target: a 50 vs the oracle's 10 (5x), b not reached
        assertEquals(Status.NOT_MET, goal(an, "adaptive reaches each target").status());
        // final metrics: a adaptive 1.0 vs static 0.9 -> worse; b 1.5 vs 0.8 -> worse
        Goal g = goal(an, "adaptive at least as good");
        assertEquals(Status.NOT_MET, g.status());
        assertTrue(g.detail().startsWith("worse in 2 of 2"), g.detail());
    }

    @Test
    void missingRunsGiveNoDataNotAnException() {
        Analysis empty = Analysis.of(List.of());
        assertEquals(9, empty.goals().size());
        for (Goal g : empty.goals()) {
            assertEquals(Status.NO_DATA, g.status(), g.name());
        }
        assertTrue(empty.cpuProfile().workloads().isEmpty());
        // static alone, no grid and no oracle: no target, times n/a, goals still without data
        Analysis onlyStatic = Analysis.of(List.of(base("gpt", "static", 0, curve(10, 1, 3, 2))));
        WorkloadResult w = onlyStatic.workload("gpt").orElseThrow();
        assertFalse(w.hasTarget());
        assertTrue(Double.isNaN(w.row("static").orElseThrow().cpuToTarget()));
        assertTrue(onlyStatic.goals().stream().allMatch(g -> g.status() == Status.NO_DATA));
        // adaptive and static without an oracle: the comparison is judged, the oracle goals are not
        Analysis two = Analysis.of(List.of(fin("gpt", "static", "base", 1, 0, 2.0),
                fin("gpt", "adaptive", "base", 1, 0, 1.9)));
        assertEquals(Status.MET, goal(two, "adaptive at least as good").status());
        assertEquals(Status.NO_DATA, goal(two, "adaptive within").status());
        assertEquals(Status.NO_DATA, goal(two, "adaptive has the highest").status());
        assertEquals(Status.MET, goal(two, "adaptive never diverges").status());
        // a fault arm without its fault-free twin is listed, not judged
        RunResult lone = withTrain(fin("gpt", "adaptive", "fault-nan", 1, 1, 2.0), 50L, List.of(pt(60, 1, 2)));
        Analysis faultOnly = Analysis.of(List.of(lone));
        assertEquals("no fault-free run", faultOnly.faults().get(0).note());
        assertEquals(Status.NO_DATA, goal(faultOnly, "under every injected fault").status());
    }

    @Test
    void learningRateArmsAreJudgedAgainstTheOracle() {
        List<RunResult> runs = new ArrayList<>();
        runs.add(fin("w", "oracle", "base", 1, 0, 2.0));                 // target 2.0
        runs.add(fin("w", "adaptive", "lr-x10", 10, 0, 2.04));           // +2%: within 5%
        runs.add(fin("w", "adaptive", "lr-x0.1", 0.1, 0, 2.08));         // +4%: within
        runs.add(fin("w", "static", "lr-x10", 10, 0, 2.5));              // +25%: not within
        runs.add(fin("w", "adaptive", "base", 1, 0, 2.03));
        Analysis a = Analysis.of(runs);
        List<Robustness> rs = a.robustness();
        assertEquals(3, rs.size());
        Robustness st = rs.stream().filter(r -> r.contender().equals("static")).findFirst().orElseThrow();
        assertEquals(0.25, st.gap(), 1e-9);
        assertFalse(st.within());
        Goal g = goal(a, "from 10x");
        assertEquals(Status.MET, g.status());
        assertTrue(g.detail().contains("static misses 5% in 1 of 1"), g.detail());
        // 2.03 is 1.5% above the oracle: within 2%
        assertEquals(Status.MET, goal(a, "adaptive within 2%").status());
        // a diverged adaptive arm fails both "never diverges" and the arm goal
        runs.add(fin("w", "adaptive", "lr-x10", 10, 1, Double.NaN));   // median of 2.04 and inf is inf
        Analysis b = Analysis.of(runs);
        assertEquals(Status.NOT_MET, goal(b, "adaptive never diverges").status());
        assertEquals(Status.NOT_MET, goal(b, "from 10x").status());
    }

    @Test
    void faultRecoveryIsWhenTheCurveStaysWithinTwoPercentOfItsTwin() {
        List<CurvePoint> twin = new ArrayList<>();
        for (long s = 10; s <= 1000; s += 10) {
            twin.add(pt(s, s, 2.0 - s * 0.001));
        }
        RunResult baseRun = withTrain(fin("w", "adaptive", "base", 1, 0, 1.0), null, twin);
        // poison at 500: 1.5x the twin on 500..600, 1.01x after, except 1.03x at 650 -> back from 660: 160 steps
        List<CurvePoint> poisoned = new ArrayList<>();
        for (CurvePoint p : twin) {
            long s = p.step();
            double k = s < 500 ? 1 : s <= 600 ? 1.5 : s == 650 ? 1.03 : 1.01;
            poisoned.add(pt(s, s, p.value() * k));
        }
        FaultRecovery r1 = Analysis.recovery(withTrain(fin("w", "adaptive", "fault-poison", 1, 0, 1.0), 500L,
                poisoned), baseRun);
        assertEquals(160L, r1.recoverySteps());
        assertTrue(r1.recovered());
        // NaN gradients at 500: points 500..540 missing (non-finite), the twin's values after -> back at 550: 50
        List<CurvePoint> gap = twin.stream().filter(p -> p.step() < 500 || p.step() >= 550).toList();
        FaultRecovery r2 = Analysis.recovery(withTrain(fin("w", "adaptive", "fault-nan", 1, 0, 1.0), 500L, gap),
                baseRun);
        assertEquals(50L, r2.recoverySteps());
        // 1.5x until 720, exact after: back after 230 steps, more than 200
        List<CurvePoint> slow = twin.stream().map(p -> pt(p.step(), p.step(),
                p.step() >= 500 && p.step() <= 720 ? p.value() * 1.5 : p.value())).toList();
        FaultRecovery r3 = Analysis.recovery(withTrain(fin("w", "adaptive", "fault-lr-spike", 1, 0, 1.0), 500L,
                slow), baseRun);
        assertEquals(230L, r3.recoverySteps());
        assertFalse(r3.recovered());
        // 1.1x to the end: never back
        List<CurvePoint> never = twin.stream().map(p -> pt(p.step(), p.step(),
                p.step() >= 500 ? p.value() * 1.1 : p.value())).toList();
        FaultRecovery r4 = Analysis.recovery(withTrain(fin("w", "adaptive", "fault-nan", 1, 0, 1.0), 500L, never),
                baseRun);
        assertNull(r4.recoverySteps());
        assertFalse(r4.recovered());
        // through the analysis: seed 0's twin is found; poison and nan recover, the goal holds
        Analysis a = Analysis.of(List.of(baseRun, withTrain(fin("w", "adaptive", "fault-poison", 1, 0, 1.0), 500L,
                poisoned), withTrain(fin("w", "adaptive", "fault-nan", 1, 0, 1.0), 500L, gap)));
        assertEquals(2, a.faults().size());
        assertEquals(Status.MET, goal(a, "under every injected fault").status());
        Analysis b = Analysis.of(List.of(baseRun, withTrain(fin("w", "adaptive", "fault-lr-spike", 1, 0, 1.0),
                500L, slow)));
        assertEquals(Status.NOT_MET, goal(b, "under every injected fault").status());
    }

    @Test
    void forgettingIsReadAtEqualNewDomainLossWithInterpolation() {
        List<CurvePoint> stNew = curve(100, 1, 5, 5, 3, 1.8, 1.5);
        List<CurvePoint> stOld = curve(100, 1, 1, 1, 2, 2.5, 3);
        List<CurvePoint> adNew = curve(100, 1, 5, 5, 4, 2.5, 2.0);
        List<CurvePoint> adOld = curve(100, 1, 1, 1, 1.5, 1.8, 2.0);
        RunResult st = withShift(fin("jdk-shift", "static", "base", 1, 0, 1.5), 200, null, stOld, stNew);
        RunResult ad = withShift(fin("jdk-shift", "adaptive", "base", 1, 0, 2.0), 200, 230L, adOld, adNew);
        Analysis a = Analysis.of(List.of(st, ad));
        assertEquals(2, a.shifts().size());
        ShiftResult s = a.shifts().stream().filter(x -> x.contender().equals("static")).findFirst().orElseThrow();
        ShiftResult d = a.shifts().stream().filter(x -> x.contender().equals("adaptive")).findFirst().orElseThrow();
        // L = max(1.5, 2.0) = 2.0
        assertEquals(2.0, s.level(), EPS);
        // static: new 3 at step 300 and 1.8 at 400 cross 2.0 at f = (3 - 2)/(3 - 1.8) = 5/6,
        // step 300 + 500/6, old 2 + (5/6) * 0.5 = 2.41667
        assertEquals(2 + 5.0 / 12, s.oldAtLevel(), 1e-9);
        assertEquals(300 + 500.0 / 6, s.stepAtLevel(), 1e-9);
        // adaptive: new 2.5 at 400 and 2.0 at 500: f = 1, old 2.0 at step 500
        assertEquals(2.0, d.oldAtLevel(), 1e-9);
        assertEquals(500, d.stepAtLevel(), 1e-9);
        assertEquals(30L, d.delay());
        assertNull(s.delay());
        assertEquals(Status.MET, goal(a, "adaptive detects the shift").status());
        assertEquals(Status.MET, goal(a, "adaptive forgets less").status());
        // the first evaluation after the shift already at L: taken as is, no interpolation across the shift
        RunResult quick = withShift(fin("jdk-shift", "adaptive", "base", 1, 0, 1.0), 200, null,
                curve(100, 1, 1, 1, 1.2), curve(100, 1, 5, 5, 1.0));
        double[] at = Analysis.oldAtLevel(quick, 2.0);
        assertEquals(1.2, at[0], EPS);
        assertEquals(300, at[1], EPS);
        assertTrue(Double.isNaN(Analysis.oldAtLevel(quick, 0.5)[0]));
        // detected late: 150 steps after the shift
        RunResult late = withShift(ad, 200, 350L, adOld, adNew);
        assertEquals(Status.NOT_MET, goal(Analysis.of(List.of(st, late)), "adaptive detects the shift").status());
    }
}
