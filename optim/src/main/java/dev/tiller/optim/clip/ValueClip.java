package dev.tiller.optim.clip;

import dev.tiller.optim.Check;
import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Value clipping as PyTorch's {@code torch.nn.utils.clip_grad_value_} (and Optax's {@code clip}): every gradient
 * element is clamped to [-clipValue, clipValue].
 * <p>
 * NOTE: PyTorch clamps an infinite element to +-clipValue, which hides an overflow as an ordinary large gradient.
 * Here gradients holding a NaN or an infinity are left untouched and reported ({@code finite = false}).
 * The report's norm is max|g| before clipping and its scale clipValue / max|g| when something was clamped.
 *
 * @param clipValue the largest allowed |g|, finite and >= 0
 */
public record ValueClip(float clipValue) implements GradClipper {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public ValueClip {
        Check.nonNegative("clip_grad_value", "clipValue", clipValue);
    }

    @Override
    public ClipReport clip(List<ParamRef> params) {
        float largest = Norms.totalNorm(params, Double.POSITIVE_INFINITY);
        if (!Float.isFinite(largest)) {
            return ClipReport.nonFinite(largest, clipValue);
        }
        if (largest <= clipValue) {
            return new ClipReport(largest, clipValue, 1.0, false, true);
        }
        for (ParamRef r : params) {
            Tensor g = r.grad();
            MemorySegment s = g.segment();
            long off = g.offset();
            long n = g.numel();
            for (long i = 0; i < n; i++) {
                float v = s.getAtIndex(F32, off + i);
                s.setAtIndex(F32, off + i, Math.min(Math.max(v, -clipValue), clipValue));
            }
        }
        return new ClipReport(largest, clipValue, (double) clipValue / largest, true, true);
    }
}
