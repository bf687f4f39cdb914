package dev.tiller.policy.regime;

/**
 * How often each probe runs, in steps (0 = never). Every-step signals (loss, grad_norm, finite, loss_scale, knob
 * values) need no probe. Names in regime files: layer_norms, update_ratio, noise, hessian, saturation, input_stats,
 * fresh_loss; hessianIterations is the power-iteration count per curvature probe.
 */
public record ProbePlan(long layerNorms, long updateRatio, long noise, long hessian, int hessianIterations,
                        long saturation, long inputStats, long freshLoss) {
    public ProbePlan {
        if (layerNorms < 0 || updateRatio < 0 || noise < 0 || hessian < 0 || hessianIterations < 1 || saturation < 0
                || inputStats < 0 || freshLoss < 0) {
            throw new IllegalArgumentException("probe intervals must be >= 0 and hessian iterations >= 1");
        }
    }

    /** No probes: the static regime. */
    public static ProbePlan none() {
        return new ProbePlan(0, 0, 0, 0, 1, 0, 0, 0);
    }

    /** True when a probe with this interval runs after step (0-based step, interval 0 = never). */
    public static boolean due(long interval, long step) {
        return interval > 0 && (step + 1) % interval == 0;
    }
}
