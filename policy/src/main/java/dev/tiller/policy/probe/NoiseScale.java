package dev.tiller.policy.probe;

/**
 * The simple estimator of the gradient noise scale (McCandlish et al. 2018, "An Empirical Model of Large-Batch
 * Training", appendix A.1): from gradient estimates at two batch sizes, with E|G_B|^2 = |G|^2 + tr(Sigma) / B,
 * <pre>
 *   |G|^2     ~ (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small)
 *   tr(Sigma) ~ (|G_small|^2 - |G_big|^2) / (1 / B_small - 1 / B_big)
 * </pre>
 * both unbiased; their ratio tr(Sigma) / |G|^2 is the simple noise scale B_simple (the regime derives it).
 */
public final class NoiseScale {
    /** Unbiased estimates of |G|^2 and tr(Sigma) (per-sample covariance, summed over coordinates). */
    public record Estimate(double g2, double trace) {}

    private NoiseScale() {}

    /**
     * The estimates from smallSq, the mean squared norm of gradients over bSmall samples each, and bigSq, the squared
     * norm of a gradient over bBig samples (bBig > bSmall > 0).
     */
    public static Estimate estimate(double smallSq, double bSmall, double bigSq, double bBig) {
        if (!(bBig > bSmall && bSmall > 0)) {
            throw new IllegalArgumentException("noise scale: need B_big > B_small > 0, got " + bBig + ", " + bSmall);
        }
        double g2 = (bBig * bigSq - bSmall * smallSq) / (bBig - bSmall);
        double trace = (smallSq - bigSq) / (1 / bSmall - 1 / bBig);
        return new Estimate(g2, trace);
    }
}
