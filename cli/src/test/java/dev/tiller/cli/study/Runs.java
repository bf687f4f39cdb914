package dev.tiller.cli.study;

import java.util.ArrayList;
import java.util.List;

/** Synthetic runs for the study's tests: every figure the tests expect follows from these by hand. */
final class Runs {
    private Runs() {}

    /** A curve point with samples = 8 per step. */
    static CurvePoint pt(long step, double cpu, double value) {
        return new CurvePoint(step, step * 8, cpu, value);
    }

    /** Points every `every` steps from `every` on, CPU-seconds = step * cpuPerStep. */
    static List<CurvePoint> curve(long every, double cpuPerStep, double... values) {
        List<CurvePoint> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            long step = (i + 1) * every;
            out.add(pt(step, step * cpuPerStep, values[i]));
        }
        return out;
    }

    /** A run whose final metric, steps, samples and CPU-seconds are its curve's last point (NaN: diverged). */
    static RunResult run(String workload, String contender, String arm, double lrFactor, long seed,
                         List<CurvePoint> curve) {
        CurvePoint last = curve.isEmpty() ? pt(0, 0, Double.NaN) : curve.get(curve.size() - 1);
        return new RunResult(workload, contender, arm, lrFactor, seed, curve, List.of(), last.step(), last.samples(),
                last.cpuSeconds(), last.value(), Double.isNaN(last.value()), 0, 0, null, null, null, List.of(),
                List.of());
    }

    /** A base-arm run at factor 1. */
    static RunResult base(String workload, String contender, long seed, List<CurvePoint> curve) {
        return run(workload, contender, Analysis.BASE, 1, seed, curve);
    }

    /** A run ending at finalMetric after 100 steps, one evaluation. */
    static RunResult fin(String workload, String contender, String arm, double lrFactor, long seed, double metric) {
        return run(workload, contender, arm, lrFactor, seed, List.of(pt(100, 1, metric)));
    }

    static RunResult withTrain(RunResult r, Long faultAt, List<CurvePoint> train) {
        return new RunResult(r.workload(), r.contender(), r.arm(), r.lrFactor(), r.seed(), r.curve(), train,
                r.steps(), r.samples(), r.cpuSeconds(), r.finalMetric(), r.diverged(), r.rollbacks(), r.skipped(),
                faultAt, r.shiftAt(), r.detectedAt(), r.oldDomain(), r.newDomain());
    }

    static RunResult withShift(RunResult r, long shiftAt, Long detectedAt, List<CurvePoint> oldDomain,
                               List<CurvePoint> newDomain) {
        return new RunResult(r.workload(), r.contender(), r.arm(), r.lrFactor(), r.seed(), r.curve(),
                r.trainCurve(), r.steps(), r.samples(), r.cpuSeconds(), r.finalMetric(), r.diverged(), r.rollbacks(),
                r.skipped(), r.faultAt(), shiftAt, detectedAt, oldDomain, newDomain);
    }
}
