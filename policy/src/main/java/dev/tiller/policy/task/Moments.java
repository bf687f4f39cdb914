package dev.tiller.policy.task;

/** {count, mean, population variance} of a batch's inputs, in double, for {@link Task#inputStats}. */
final class Moments {
    private Moments() {}

    static double[] of(float[] x) {
        double sum = 0;
        for (float f : x) {
            sum += f;
        }
        double mean = sum / x.length;
        double sq = 0;
        for (float f : x) {
            sq += (f - mean) * (f - mean);
        }
        return new double[] {x.length, mean, sq / x.length};
    }

    static double[] of(int[] x) {
        double sum = 0;
        for (int v : x) {
            sum += v;
        }
        double mean = sum / x.length;
        double sq = 0;
        for (int v : x) {
            sq += (v - mean) * (v - mean);
        }
        return new double[] {x.length, mean, sq / x.length};
    }
}
