package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Adam step shared by Adam and AdamW (PyTorch's _single_tensor_adam): scalars in double from the user's
 * decimals, then the fused kernel (FusedUpdate.adam / adamw) or, with amsgrad, an element loop that also keeps the
 * running maximum of v. State is opened as float32 and committed back, so bf16 and 8-bit state work too.
 */
final class AdamUpdate {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private AdamUpdate() {}

    /**
     * One step of parameter p at step t. vMax is the amsgrad maximum (null when amsgrad is off). decoupled: weight
     * decay multiplies p by 1 - lr * weightDecay (AdamW); else weightDecay * p is added to the gradient (L2).
     */
    static void step(ParamRef p, StateSlot mSlot, StateSlot vSlot, StateSlot vMaxSlot, long t, float lr,
                     float beta1, float beta2, float eps, float weightDecay, boolean decoupled, boolean amsgrad,
                     boolean maximize) {
        double lrD = Scalars.decimal(lr);
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(beta1), t);
        double bc2 = 1.0 - StrictMath.pow(Scalars.decimal(beta2), t);
        float stepSize = (float) (lrD / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float oneMinusBeta1 = Scalars.oneMinus(beta1);
        float oneMinusBeta2 = Scalars.oneMinus(beta2);
        float sign = Scalars.gradSign(maximize);
        // NOTE: PyTorch skips the decay multiply when weight_decay == 0; p * 1f is exact, so no branch is needed.
        float decay = decoupled ? (float) (1.0 - lrD * Scalars.decimal(weightDecay)) : 1f;
        float l2 = decoupled ? 0f : weightDecay;
        Tensor m = mSlot.open();
        Tensor v = vSlot.open();
        if (!amsgrad) {
            if (decoupled) {
                FusedUpdate.adamw(p.value(), p.grad(), m, v, sign, decay, oneMinusBeta1, beta2, oneMinusBeta2, eps,
                        stepSize, bc2Sqrt);
            } else {
                FusedUpdate.adam(p.value(), p.grad(), m, v, sign, l2, oneMinusBeta1, beta2, oneMinusBeta2, eps,
                        stepSize, bc2Sqrt);
            }
        } else {
            Tensor vMax = vMaxSlot.open();
            MemorySegment ps = p.value().segment();
            MemorySegment gs = p.grad().segment();
            MemorySegment ms = m.segment();
            MemorySegment vs = v.segment();
            MemorySegment xs = vMax.segment();
            long po = p.value().offset();
            long go = p.grad().offset();
            long mo = m.offset();
            long vo = v.offset();
            long xo = vMax.offset();
            long n = p.numel();
            float negStep = -stepSize;
            for (long i = 0; i < n; i++) {
                float pi = ps.getAtIndex(F32, po + i) * decay;
                float gi = sign * gs.getAtIndex(F32, go + i) + l2 * pi;
                float mi = RefOptimKernels.lerp(ms.getAtIndex(F32, mo + i), gi, oneMinusBeta1);
                float vi = vs.getAtIndex(F32, vo + i) * beta2 + oneMinusBeta2 * gi * gi;
                float vmax = Math.max(xs.getAtIndex(F32, xo + i), vi);      // v_max = max(v_max, v_t)
                ms.setAtIndex(F32, mo + i, mi);
                vs.setAtIndex(F32, vo + i, vi);
                xs.setAtIndex(F32, xo + i, vmax);
                float denom = (float) Math.sqrt(vmax) / bc2Sqrt + eps;
                ps.setAtIndex(F32, po + i, pi + negStep * mi / denom);
            }
            vMaxSlot.commit(t);
        }
        mSlot.commit(t);
        vSlot.commit(t);
    }
}
