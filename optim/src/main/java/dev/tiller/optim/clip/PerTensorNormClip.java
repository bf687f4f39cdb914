package dev.tiller.optim.clip;

import dev.tiller.optim.Check;
import dev.tiller.optim.ParamRef;

import java.util.List;

/**
 * Per-tensor norm clipping: each gradient tensor g_i on its own is multiplied by
 * {@code min(1, maxNorm / (||g_i||_p + 1e-6))} (PyTorch's clip_grad_norm_ formula applied to one tensor at a time,
 * the per-parameter flavour of clipping that e.g. AutoClip's library form uses). The report's norm is the largest
 * per-tensor norm and its scale the smallest coefficient. If any tensor's norm is not finite, no tensor is changed.
 *
 * @param maxNorm  the largest allowed norm of each tensor, finite and >= 0
 * @param normType p > 0, or {@code Double.POSITIVE_INFINITY}
 */
public record PerTensorNormClip(float maxNorm, double normType) implements GradClipper {
    public PerTensorNormClip {
        Check.nonNegative("per-tensor clip", "maxNorm", maxNorm);
        Norms.requireNormType("per-tensor clip", normType);
    }

    @Override
    public ClipReport clip(List<ParamRef> params) {
        float[] norms = new float[params.size()];
        float largest = 0f;
        for (int i = 0; i < norms.length; i++) {
            norms[i] = (float) Norms.tensorNorm(params.get(i).grad(), normType);
            if (!Float.isFinite(norms[i])) {
                return ClipReport.nonFinite(norms[i], maxNorm);
            }
            largest = Math.max(largest, norms[i]);
        }
        float smallest = 1f;
        for (int i = 0; i < norms.length; i++) {
            float coef = Norms.clipCoefficient(maxNorm, norms[i]);
            if (coef < 1f) {
                Norms.scale(params.get(i).grad(), coef);
                smallest = Math.min(smallest, coef);
            }
        }
        return new ClipReport(largest, maxNorm, smallest, smallest < 1f, true);
    }
}
