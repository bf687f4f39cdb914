package dev.tiller.optim.clip;

import dev.tiller.optim.Check;

/**
 * ZClip hyperparameters, with the reference implementation's names and defaults (bluorion-com/ZClip, Kumar et al.
 * 2025, arXiv 2504.02507): alpha 0.97, zThresh 2.5, maxGradNorm 1.0, eps 1e-6, warmupSteps 25, mode ZSCORE,
 * clipOption ADAPTIVE_SCALING, clipFactor 1.0, skipUpdateOnSpike false.
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
public record ZClipHyper(float alpha, float zThresh, Float maxGradNorm, float eps, int warmupSteps, Mode mode,
                         ClipOption clipOption, float clipFactor, boolean skipUpdateOnSpike) {
    /** How the threshold is formed after warm-up. */
    public enum Mode { ZSCORE, PERCENTILE }

    /** In ZSCORE mode, the threshold for a spike. */
    public enum ClipOption { ADAPTIVE_SCALING, MEAN }

    public ZClipHyper {
        Check.halfOpen("ZClip", "alpha", alpha, 0, 1);
        Check.positive("ZClip", "zThresh", zThresh);
        if (maxGradNorm != null) {
            Check.nonNegative("ZClip", "maxGradNorm", maxGradNorm);
        }
        Check.positive("ZClip", "eps", eps);
        Check.atLeast("ZClip", "warmupSteps", warmupSteps, 0);
        if (mode == null || clipOption == null) {
            throw new IllegalArgumentException("ZClip: mode and clipOption must be given (ZSCORE / ADAPTIVE_SCALING"
                    + " are the defaults)");
        }
        Check.positive("ZClip", "clipFactor", clipFactor);
    }

    /** The reference defaults. */
    public static ZClipHyper defaults() {
        return new ZClipHyper(0.97f, 2.5f, 1.0f, 1e-6f, 25, Mode.ZSCORE, ClipOption.ADAPTIVE_SCALING, 1.0f, false);
    }

    public ZClipHyper withMaxGradNorm(Float v) {
        return new ZClipHyper(alpha, zThresh, v, eps, warmupSteps, mode, clipOption, clipFactor, skipUpdateOnSpike);
    }

    public ZClipHyper withAlpha(float v) {
        return new ZClipHyper(v, zThresh, maxGradNorm, eps, warmupSteps, mode, clipOption, clipFactor,
                skipUpdateOnSpike);
    }

    public ZClipHyper withZThresh(float v) {
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
