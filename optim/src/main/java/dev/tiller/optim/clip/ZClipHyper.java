package dev.tiller.optim.clip;

import dev.tiller.optim.Check;

/**
 * ZClip hyperparameters, with the reference implementation's names and defaults (bluorion-com/ZClip, Kumar et al.
 * 2025, arXiv 2504.02507): alpha 0.97, zThresh 2.5, maxGradNorm 1.0, eps 1e-6, warmupSteps 25, mode ZSCORE,
 * clipOption ADAPTIVE_SCALING, clipFactor 1.0, skipUpdateOnSpike false. Doubles, as the reference computes with Python
 * floats.
 *
 * @param alpha             EMA smoothing of the norm's mean and variance, in [0, 1)
 * @param zThresh           z-score above which a norm is a spike, > 0
 * @param maxGradNorm       an absolute cap applied as well (and plain clipping during warm-up); null for none
 * @param eps               added to the standard deviation in the z-score, > 0
 * @param warmupSteps       steps whose norms only seed the statistics, >= 0
 * @param mode              ZSCORE or PERCENTILE (clip above mean + zThresh * std)
 * @param clipOption        in ZSCORE mode: ADAPTIVE_SCALING or MEAN
 * @param clipFactor        multiplies the adaptive threshold, > 0
 * @param skipUpdateOnSpike leave the statistics unchanged on a spike
 */
public record ZClipHyper(double alpha, double zThresh, Double maxGradNorm, double eps, int warmupSteps, Mode mode,
                         ClipOption clipOption, double clipFactor, boolean skipUpdateOnSpike) {
    /** How the threshold is formed after warm-up. */
    public enum Mode { ZSCORE, PERCENTILE }

    /** In ZSCORE mode, the threshold for a spike. */
    public enum ClipOption { ADAPTIVE_SCALING, MEAN }

    public ZClipHyper {
        require("alpha", alpha, alpha >= 0 && alpha < 1, "[0, 1)");
        require("zThresh", zThresh, zThresh > 0, "(0, +inf)");
        if (maxGradNorm != null) {
            require("maxGradNorm", maxGradNorm, maxGradNorm >= 0, "[0, +inf)");
        }
        require("eps", eps, eps > 0, "(0, +inf)");
        Check.atLeast("ZClip", "warmupSteps", warmupSteps, 0);
        if (mode == null || clipOption == null) {
            throw new IllegalArgumentException("ZClip: mode and clipOption must be given (ZSCORE / ADAPTIVE_SCALING"
                    + " are the defaults)");
        }
        require("clipFactor", clipFactor, clipFactor > 0, "(0, +inf)");
    }

    private static void require(String name, double v, boolean inRange, String range) {
        if (!Double.isFinite(v) || !inRange) {
            throw new IllegalArgumentException("ZClip: " + name + " = " + v + " is not allowed; allowed range " + range
                    + ", finite");
        }
    }

    /** The reference defaults. */
    public static ZClipHyper defaults() {
        return new ZClipHyper(0.97, 2.5, 1.0, 1e-6, 25, Mode.ZSCORE, ClipOption.ADAPTIVE_SCALING, 1.0, false);
    }

    public ZClipHyper withMaxGradNorm(Double v) {
        return new ZClipHyper(alpha, zThresh, v, eps, warmupSteps, mode, clipOption, clipFactor, skipUpdateOnSpike);
    }

    public ZClipHyper withAlpha(double v) {
        return new ZClipHyper(v, zThresh, maxGradNorm, eps, warmupSteps, mode, clipOption, clipFactor,
                skipUpdateOnSpike);
    }

    public ZClipHyper withZThresh(double v) {
        return new ZClipHyper(alpha, v, maxGradNorm, eps, warmupSteps, mode, clipOption, clipFactor,
                skipUpdateOnSpike);
    }

    public ZClipHyper withWarmupSteps(int v) {
        return new ZClipHyper(alpha, zThresh, maxGradNorm, eps, v, mode, clipOption, clipFactor, skipUpdateOnSpike);
    }

    public ZClipHyper withMode(Mode m, ClipOption o) {
        return new ZClipHyper(alpha, zThresh, maxGradNorm, eps, warmupSteps, m, o, clipFactor, skipUpdateOnSpike);
    }

    public ZClipHyper withSkipUpdateOnSpike(boolean v) {
        return new ZClipHyper(alpha, zThresh, maxGradNorm, eps, warmupSteps, mode, clipOption, clipFactor, v);
    }
}
