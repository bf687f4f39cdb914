package dev.tiller.policy.task;

import java.util.function.IntToDoubleFunction;

/** {count, mean, population variance} of a batch's inputs, in double, for {@link Task#lastInputStats}. */
public final class Moments {
    private Moments() {}

    public static double[] of(float[] x) {
        return of(x.length, i -> x[i]);
    }

    public static double[] of(int[] x) {
        return of(x.length, i -> x[i]);
    }

    /** Two passes (mean, then squared deviations) over the n values x(0..n-1), summed in index order. */
    private static double[] of(int n, IntToDoubleFunction x) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x.applyAsDouble(i);
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x.applyAsDouble(i) - mean;
            sq += d * d;
        }
        return new double[] {n, mean, sq / n};
    }
}
