package dev.tiller.optim.clip;

import dev.tiller.optim.Check;
import dev.tiller.optim.ParamRef;

import java.util.List;

/**
 * Global-norm clipping as PyTorch's {@code torch.nn.utils.clip_grad_norm_} (Pascanu et al. 2013): with
 * ||g|| the p-norm of all gradients together (see {@link Norms#totalNorm}), every gradient is multiplied by
 * {@code min(1, maxNorm / (||g|| + 1e-6))} in float32, and the report carries ||g|| (PyTorch's return value).
 * <p>
 * Non-finite norms: PyTorch with {@code error_if_nonfinite=False} (its default) multiplies by the non-finite
 * coefficient (a NaN norm makes every gradient NaN, an infinite one zeroes the finite ones). Here the gradients are
 * left untouched and the report says {@code finite = false}; the caller (loss scaler, skip policy) decides. With
 * {@code errorIfNonfinite = true} the call throws instead, as PyTorch's {@code error_if_nonfinite=True} does.
 *
 * @param maxNorm          the largest allowed norm, finite and >= 0
 * @param normType         p: any p > 0, or {@code Double.POSITIVE_INFINITY} for the max norm (PyTorch's 'inf')
 * @param errorIfNonfinite throw IllegalStateException when the total norm is NaN or infinite
 */
public record GlobalNormClip(float maxNorm, double normType, boolean errorIfNonfinite) implements GradClipper {
    public GlobalNormClip {
        Check.nonNegative("clip_grad_norm", "maxNorm", maxNorm);
        Norms.requireNormType("clip_grad_norm", normType);
    }

    /** L2 clipping to maxNorm, PyTorch's defaults otherwise. */
    public static GlobalNormClip l2(float maxNorm) {
        return new GlobalNormClip(maxNorm, 2.0, false);
    }

    public GlobalNormClip withMaxNorm(float v) {
        return new GlobalNormClip(v, normType, errorIfNonfinite);
    }

    @Override
    public ClipReport clip(List<ParamRef> params) {
        float norm = Norms.totalNorm(params, normType);
        if (errorIfNonfinite && !Float.isFinite(norm)) {
            throw new IllegalStateException("clip_grad_norm: the total norm of order " + normType + " for the gradients"
                    + " is " + norm + ", so it cannot be clipped; set errorIfNonfinite = false to leave the gradients"
                    + " untouched and get the norm in the report instead");
        }
        return Norms.clipToNorm(params, norm, maxNorm);
    }

    /**
     * Clips as {@link #clip} does, given the total norm already measured by {@link Norms#totalNorm} of this normType
     * over the same gradients (a trainer reads the norm before deciding the threshold; one sweep, not two).
     */
    public ClipReport clipMeasured(List<ParamRef> params, float norm) {
        if (errorIfNonfinite && !Float.isFinite(norm)) {
            return clip(params);
        }
        return Norms.clipToNorm(params, norm, maxNorm);
    }
}
