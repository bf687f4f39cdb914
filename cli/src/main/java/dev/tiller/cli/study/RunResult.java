package dev.tiller.cli.study;

import java.util.List;

/**
 * One finished run of the regime study, as the study's runs.json holds it. Every metric is lower-is-better
 * (validation loss).
 *
 * @param workload     the workload's name (gpt, convnet, gcn, resnet, jdk-shift, fashion-mnist-shift, or a quick one)
 * @param contender    static, oracle, adaptive, plateau, hypergradient, schedule-free, prodigy; "grid" for the
 *                     oracle's learning-rate grid on seed 0
 * @param arm          base, lr-x10, lr-x0.1, fault-poison, fault-lr-spike, fault-nan
 * @param lrFactor     the factor on the recipe's default learning rate the run used
 * @param seed         the run's seed
 * @param curve        the validation metric at each evaluation, in step order (the last one at the final step)
 * @param trainCurve   the smoothed training loss (EMA, time constant 20 steps; non-finite values and the faulted
 *                     step's own loss left out) every 10 steps, for comparing a faulted run with its fault-free twin
 * @param steps        steps run
 * @param samples      training samples seen
 * @param cpuSeconds   process CPU time spent training (evaluation excluded)
 * @param finalMetric  the validation metric at the end (NaN when the run diverged)
 * @param diverged     the run ended with a non-finite or exploded loss
 * @param rollbacks    rollbacks the regime made
 * @param skipped      steps skipped (non-finite or anomalous batches)
 * @param faultAt      the step the arm's fault was injected at, null for no fault
 * @param shiftAt      the step the data changed domain, null when it does not shift
 * @param detectedAt   the first step after shiftAt at which the regime's shift detector fired, null when never
 * @param oldDomain    validation loss on the first domain at each evaluation (shifting data only, else empty)
 * @param newDomain    validation loss on the second domain at each evaluation (shifting data only, else empty)
 */
public record RunResult(String workload, String contender, String arm, double lrFactor, long seed,
                        List<CurvePoint> curve, List<CurvePoint> trainCurve, long steps, long samples,
                        double cpuSeconds, double finalMetric, boolean diverged, long rollbacks, long skipped,
                        Long faultAt, Long shiftAt, Long detectedAt, List<CurvePoint> oldDomain,
                        List<CurvePoint> newDomain) {
    public RunResult {
        curve = List.copyOf(curve);
        trainCurve = List.copyOf(trainCurve);
        oldDomain = List.copyOf(oldDomain);
        newDomain = List.copyOf(newDomain);
    }

    /** The key a run is stored and skipped under: workload/contender/arm/lr factor/seed. */
    public String key() {
        return key(workload, contender, arm, lrFactor, seed);
    }

    public static String key(String workload, String contender, String arm, double lrFactor, long seed) {
        return workload + "/" + contender + "/" + arm + "/lr" + lrFactor + "/seed" + seed;
    }
}
