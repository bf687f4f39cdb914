package dev.tiller.tensor.kernel.ref;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar twins of the fused optimizer kernels in {@code SimdOptim}: one loop, one element at a time, in the order
 * of the reference library's tensor operations. Same signatures as SimdOptim.
 *
 * <p>NOTE: unlike other twins these compute in float32, not double. An optimizer update is defined by the
 * reference library as a sequence of float32 tensor operations (PyTorch's lerp_, mul_, addcmul_, sqrt, div, add_,
 * addcdiv_; Optax's float32 jnp expressions), each rounded to float, so float32 in that order IS the semantics;
 * computing in double would be a different (if more accurate) optimizer.
 *
 * <p>Segments hold float32; offsets and counts are in elements. Every kernel reads and writes element i only at
 * position i of each operand, so operands for one parameter must not overlap each other.
 */
public final class RefOptim {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefOptim() {}

    /**
     * PyTorch's lerp: start + weight (end - start) for |weight| &lt; 0.5, else end - (end - start)(1 - weight),
     * which keeps the result exact at weight 1.
     */
    public static float lerp(float start, float end, float weight) {
        return Math.abs(weight) < 0.5f ? start + weight * (end - start) : end - (end - start) * (1f - weight);
    }

    /**
     * AdamW (Loshchilov and Hutter 2019) as torch.optim.AdamW (amsgrad off), one fused pass:
     * <pre>
     *   p = p * decay                       (decay = 1 - lr * weight_decay)
     *   g = gradSign * g                    (gradSign = -1 when maximizing)
     *   m = lerp(m, g, 1 - beta1)
     *   v = v * beta2 + (1 - beta2) * g * g
     *   p = p - stepSize * m / (sqrt(v) / bc2Sqrt + eps)
     * </pre>
     * with stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t) precomputed by the caller, as are the
     * coefficients oneMinusBeta1 = 1 - beta1 and oneMinusBeta2 = 1 - beta2 (the reference computes these in double
     * from the user's decimal value and rounds once; 1f - beta in float would differ in the last bits).
     */
    public static void adamw(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                             MemorySegment v, long vOff, int n, float gradSign, float decay, float oneMinusBeta1,
                             float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        final float w1 = oneMinusBeta1;
        final float c2 = oneMinusBeta2;
        final float negStep = -stepSize;
        for (int i = 0; i < n; i++) {
            float pi = p.getAtIndex(F32, pOff + i) * decay;
            float gi = gradSign * g.getAtIndex(F32, gOff + i);
            float mi = lerp(m.getAtIndex(F32, mOff + i), gi, w1);
            float vi = v.getAtIndex(F32, vOff + i) * beta2 + c2 * gi * gi;
            m.setAtIndex(F32, mOff + i, mi);
            v.setAtIndex(F32, vOff + i, vi);
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p.setAtIndex(F32, pOff + i, pi + negStep * mi / denom);
        }
    }

    /**
     * Adam (Kingma and Ba 2015) as torch.optim.Adam (amsgrad off), weight decay as an L2 term in the gradient:
     * <pre>
     *   g = gradSign * g + weightDecay * p
     *   m = lerp(m, g, 1 - beta1)
     *   v = v * beta2 + (1 - beta2) * g * g
     *   p = p - stepSize * m / (sqrt(v) / bc2Sqrt + eps)
     * </pre>
     */
    public static void adam(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            MemorySegment v, long vOff, int n, float gradSign, float weightDecay, float oneMinusBeta1,
                            float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        final float w1 = oneMinusBeta1;
        final float c2 = oneMinusBeta2;
        final float negStep = -stepSize;
        for (int i = 0; i < n; i++) {
            float pi = p.getAtIndex(F32, pOff + i);
            float gi = gradSign * g.getAtIndex(F32, gOff + i) + weightDecay * pi;
            float mi = lerp(m.getAtIndex(F32, mOff + i), gi, w1);
            float vi = v.getAtIndex(F32, vOff + i) * beta2 + c2 * gi * gi;
            m.setAtIndex(F32, mOff + i, mi);
            v.setAtIndex(F32, vOff + i, vi);
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p.setAtIndex(F32, pOff + i, pi + negStep * mi / denom);
        }
    }

    /**
     * Adam with AMSGrad (torch.optim.Adam / AdamW, amsgrad on), one fused pass that also keeps the running maximum
     * vMax of v:
     * <pre>
     *   p = p * decay                       (decay = 1 - lr * weight_decay for AdamW, else 1)
     *   g = gradSign * g + weightDecay * p  (weightDecay: Adam's L2 term, 0 for AdamW)
     *   m = lerp(m, g, 1 - beta1)
     *   v = v * beta2 + (1 - beta2) * g * g
     *   vMax = max(vMax, v)
     *   p = p - stepSize * m / (sqrt(vMax) / bc2Sqrt + eps)
     * </pre>
     * Scalars as in adamw. max is Math.max: NaN wins, so a NaN v poisons vMax from then on, as torch.maximum.
     */
    public static void amsgrad(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                               MemorySegment v, long vOff, MemorySegment vMax, long vMaxOff, int n, float gradSign,
                               float decay, float weightDecay, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                               float eps, float stepSize, float bc2Sqrt) {
        final float w1 = oneMinusBeta1;
        final float c2 = oneMinusBeta2;
        final float negStep = -stepSize;
        for (int i = 0; i < n; i++) {
            float pi = p.getAtIndex(F32, pOff + i) * decay;
            float gi = gradSign * g.getAtIndex(F32, gOff + i) + weightDecay * pi;
            float mi = lerp(m.getAtIndex(F32, mOff + i), gi, w1);
            float vi = v.getAtIndex(F32, vOff + i) * beta2 + c2 * gi * gi;
            float xi = Math.max(vMax.getAtIndex(F32, vMaxOff + i), vi);
            m.setAtIndex(F32, mOff + i, mi);
            v.setAtIndex(F32, vOff + i, vi);
            vMax.setAtIndex(F32, vMaxOff + i, xi);
            float denom = (float) Math.sqrt(xi) / bc2Sqrt + eps;
            p.setAtIndex(F32, pOff + i, pi + negStep * mi / denom);
        }
    }

    /** Plain SGD (no momentum), torch.optim.SGD: g = gradSign * g + weightDecay * p; p = p - lr * g. */
    public static void sgd(MemorySegment p, long pOff, MemorySegment g, long gOff, int n, float gradSign,
                           float weightDecay, float lr) {
        final float negLr = -lr;
        for (int i = 0; i < n; i++) {
            float pi = p.getAtIndex(F32, pOff + i);
            float gi = gradSign * g.getAtIndex(F32, gOff + i) + weightDecay * pi;
            p.setAtIndex(F32, pOff + i, pi + negLr * gi);
        }
    }

    /**
     * SGD with momentum buffer b, torch.optim.SGD:
     * <pre>
     *   g = gradSign * g + weightDecay * p
     *   b = g (firstStep) or momentum * b + (1 - dampening) * g
     *   d = g + momentum * b (nesterov) or b
     *   p = p - lr * d
     * </pre>
     */
    public static void sgdMomentum(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment b,
                                   long bOff, int n, float gradSign, float weightDecay, float lr, float momentum,
                                   float oneMinusDampening, boolean nesterov, boolean firstStep) {
        final float negLr = -lr;
        final float keep = oneMinusDampening;
        for (int i = 0; i < n; i++) {
            float pi = p.getAtIndex(F32, pOff + i);
            float gi = gradSign * g.getAtIndex(F32, gOff + i) + weightDecay * pi;
            float bi = firstStep ? gi : b.getAtIndex(F32, bOff + i) * momentum + keep * gi;
            b.setAtIndex(F32, bOff + i, bi);
            float d = nesterov ? gi + momentum * bi : bi;
            p.setAtIndex(F32, pOff + i, pi + negLr * d);
        }
    }

    /**
     * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms") as optax.lion:
     * <pre>
     *   u = sign((1 - beta1) * g + beta1 * m)
     *   m = (1 - beta2) * g + beta2 * m
     *   p = p + (-lr) * (u + weightDecay * p)
     * </pre>
     * sign(0) = 0 and sign(NaN) = NaN, as jnp.sign.
     */
    public static void lion(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            int n, float lr, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                            float weightDecay) {
        final float c1 = oneMinusBeta1;
        final float c2 = oneMinusBeta2;
        final float negLr = -lr;
        for (int i = 0; i < n; i++) {
            float gi = g.getAtIndex(F32, gOff + i);
            float mi = m.getAtIndex(F32, mOff + i);
            float u = Math.signum(c1 * gi + beta1 * mi);
            m.setAtIndex(F32, mOff + i, c2 * gi + beta2 * mi);
            float pi = p.getAtIndex(F32, pOff + i);
            p.setAtIndex(F32, pOff + i, pi + negLr * (u + weightDecay * pi));
        }
    }
}
