package dev.tiller.policy.probe;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GNS estimator is unbiased: on synthetic per-sample gradients G + noise with known |G|^2 and tr(Sigma), the
 * estimates averaged over many draws (as the probe forms them: k micro-batch means of b samples) land within four
 * standard errors of the truth, and a single draw with no noise is exact.
 */
class NoiseScaleTest {
    private static final int D = 40;

    @Test
    void averagedEstimatesMatchTheTrueSquaredNormAndTrace() {
        SplittableRandom r = new SplittableRandom(11);
        double[] g = new double[D];
        double[] sigma = new double[D];
        double g2 = 0;
        double trace = 0;
        for (int i = 0; i < D; i++) {
            g[i] = 0.3 * r.nextGaussian();
            sigma[i] = 0.5 + r.nextDouble();
            g2 += g[i] * g[i];
            trace += sigma[i] * sigma[i];
        }
        int b = 4;
        int k = 4;
        int trials = 4000;
        double[] eg = new double[trials];
        double[] et = new double[trials];
        for (int n = 0; n < trials; n++) {
            double[] mean = new double[D];
            double smallSq = 0;
            for (int m = 0; m < k; m++) {
                double sq = 0;
                for (int i = 0; i < D; i++) {
                    double micro = 0;
                    for (int s = 0; s < b; s++) {
                        micro += g[i] + sigma[i] * r.nextGaussian();
                    }
                    micro /= b;
                    sq += micro * micro;
                    mean[i] += micro / k;
                }
                smallSq += sq / k;
            }
            double bigSq = 0;
            for (double x : mean) {
                bigSq += x * x;
            }
            NoiseScale.Estimate e = NoiseScale.estimate(smallSq, b, bigSq, (double) k * b);
            eg[n] = e.g2();
            et[n] = e.trace();
        }
        assertWithinStandardErrors(g2, eg, "|G|^2");
        assertWithinStandardErrors(trace, et, "tr(Sigma)");
    }

    private static void assertWithinStandardErrors(double truth, double[] x, String what) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / (x.length - 1);
        }
        double se = Math.sqrt(var / x.length);
        assertTrue(Math.abs(mean - truth) < 4 * se, what + ": mean " + mean + ", truth " + truth + ", se " + se);
    }

    @Test
    void noNoiseGivesTheSquaredNormAndZeroTrace() {
        NoiseScale.Estimate e = NoiseScale.estimate(2.5, 8, 2.5, 32);
        assertEquals(2.5, e.g2(), 1e-15);
        assertEquals(0, e.trace(), 1e-15);
    }

    @Test
    void needsTwoDistinctBatchSizes() {
        assertThrows(IllegalArgumentException.class, () -> NoiseScale.estimate(1, 8, 1, 8));
    }
}
