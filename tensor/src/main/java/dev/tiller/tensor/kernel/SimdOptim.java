package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefOptim;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Fused single-pass SIMD optimizer updates (AdamW, Adam, Adam with AMSGrad, SGD with and without momentum, Lion):
 * each element of the parameter, gradient and state is read once and written once, so a step costs one sweep of
 * memory instead of the eight to ten sweeps of the composed tensor operations. Twin: RefOptim (same
 * signatures and contract); callers go through OptimKernels, which picks one of the two.
 *
 * <p>The lanes perform the twin's float32 operations in the twin's order, without fused multiply-add (IEEE add,
 * mul, div and sqrt are correctly rounded lane by lane), so results equal the twin's; the tail is the twin itself.
 * No threading here: callers split large tensors into fixed chunks (Parallel.forRange) and call once per chunk.
 */
public final class SimdOptim {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private SimdOptim() {}

    /** See RefOptim.adamw. */
    public static void adamw(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                             MemorySegment v, long vOff, int n, float gradSign, float decay, float oneMinusBeta1,
                             float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        final int bound = S.loopBound(n);
        final boolean lowWeight = Math.abs(oneMinusBeta1) < 0.5f;
        final float w1 = oneMinusBeta1;
        final float w1c = 1f - oneMinusBeta1;
        final float negStep = -stepSize;
        for (int i = 0; i < bound; i += L) {
            FloatVector pi = ld(p, pOff + i).mul(decay);
            FloatVector gi = ld(g, gOff + i).mul(gradSign);
            FloatVector mi = lerp(ld(m, mOff + i), gi, lowWeight, w1, w1c);
            FloatVector vi = ld(v, vOff + i).mul(beta2).add(gi.mul(oneMinusBeta2).mul(gi));
            st(mi, m, mOff + i);
            st(vi, v, vOff + i);
            FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
            st(pi.add(mi.mul(negStep).div(denom)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.adamw(p, pOff + bound, g, gOff + bound, m, mOff + bound, v, vOff + bound, n - bound,
                    gradSign, decay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** See RefOptim.adam. */
    public static void adam(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            MemorySegment v, long vOff, int n, float gradSign, float weightDecay, float oneMinusBeta1,
                            float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt) {
        final int bound = S.loopBound(n);
        final boolean lowWeight = Math.abs(oneMinusBeta1) < 0.5f;
        final float w1 = oneMinusBeta1;
        final float w1c = 1f - oneMinusBeta1;
        final float negStep = -stepSize;
        for (int i = 0; i < bound; i += L) {
            FloatVector pi = ld(p, pOff + i);
            FloatVector gi = ld(g, gOff + i).mul(gradSign).add(pi.mul(weightDecay));
            FloatVector mi = lerp(ld(m, mOff + i), gi, lowWeight, w1, w1c);
            FloatVector vi = ld(v, vOff + i).mul(beta2).add(gi.mul(oneMinusBeta2).mul(gi));
            st(mi, m, mOff + i);
            st(vi, v, vOff + i);
            FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
            st(pi.add(mi.mul(negStep).div(denom)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.adam(p, pOff + bound, g, gOff + bound, m, mOff + bound, v, vOff + bound, n - bound,
                    gradSign, weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt);
        }
    }

    /** See RefOptim.amsgrad. */
    public static void amsgrad(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                               MemorySegment v, long vOff, MemorySegment vMax, long vMaxOff, int n, float gradSign,
                               float decay, float weightDecay, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                               float eps, float stepSize, float bc2Sqrt) {
        final int bound = S.loopBound(n);
        final boolean lowWeight = Math.abs(oneMinusBeta1) < 0.5f;
        final float w1 = oneMinusBeta1;
        final float w1c = 1f - oneMinusBeta1;
        final float negStep = -stepSize;
        for (int i = 0; i < bound; i += L) {
            FloatVector pi = ld(p, pOff + i).mul(decay);
            FloatVector gi = ld(g, gOff + i).mul(gradSign).add(pi.mul(weightDecay));
            FloatVector mi = lerp(ld(m, mOff + i), gi, lowWeight, w1, w1c);
            FloatVector vi = ld(v, vOff + i).mul(beta2).add(gi.mul(oneMinusBeta2).mul(gi));
            FloatVector xi = ld(vMax, vMaxOff + i).max(vi);
            st(mi, m, mOff + i);
            st(vi, v, vOff + i);
            st(xi, vMax, vMaxOff + i);
            FloatVector denom = xi.sqrt().div(bc2Sqrt).add(eps);
            st(pi.add(mi.mul(negStep).div(denom)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.amsgrad(p, pOff + bound, g, gOff + bound, m, mOff + bound, v, vOff + bound, vMax,
                    vMaxOff + bound, n - bound, gradSign, decay, weightDecay, oneMinusBeta1, beta2, oneMinusBeta2, eps,
                    stepSize, bc2Sqrt);
        }
    }

    /** See RefOptim.sgd. */
    public static void sgd(MemorySegment p, long pOff, MemorySegment g, long gOff, int n, float gradSign,
                           float weightDecay, float lr) {
        final int bound = S.loopBound(n);
        final float negLr = -lr;
        for (int i = 0; i < bound; i += L) {
            FloatVector pi = ld(p, pOff + i);
            FloatVector gi = ld(g, gOff + i).mul(gradSign).add(pi.mul(weightDecay));
            st(pi.add(gi.mul(negLr)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.sgd(p, pOff + bound, g, gOff + bound, n - bound, gradSign, weightDecay, lr);
        }
    }

    /** See RefOptim.sgdMomentum. */
    public static void sgdMomentum(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment b,
                                   long bOff, int n, float gradSign, float weightDecay, float lr, float momentum,
                                   float oneMinusDampening, boolean nesterov, boolean firstStep) {
        final int bound = S.loopBound(n);
        final float negLr = -lr;
        for (int i = 0; i < bound; i += L) {
            FloatVector pi = ld(p, pOff + i);
            FloatVector gi = ld(g, gOff + i).mul(gradSign).add(pi.mul(weightDecay));
            FloatVector bi = firstStep ? gi : ld(b, bOff + i).mul(momentum).add(gi.mul(oneMinusDampening));
            st(bi, b, bOff + i);
            FloatVector d = nesterov ? gi.add(bi.mul(momentum)) : bi;
            st(pi.add(d.mul(negLr)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.sgdMomentum(p, pOff + bound, g, gOff + bound, b, bOff + bound, n - bound, gradSign,
                    weightDecay, lr, momentum, oneMinusDampening, nesterov, firstStep);
        }
    }

    /** See RefOptim.lion. */
    public static void lion(MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                            int n, float lr, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                            float weightDecay) {
        final int bound = S.loopBound(n);
        final float negLr = -lr;
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector minusOne = FloatVector.broadcast(S, -1f);
        for (int i = 0; i < bound; i += L) {
            FloatVector gi = ld(g, gOff + i);
            FloatVector mi = ld(m, mOff + i);
            FloatVector c = gi.mul(oneMinusBeta1).add(mi.mul(beta1));
            // sign(c) as Math.signum: +-1 where c is nonzero, c itself where c is +-0 or NaN
            VectorMask<Float> pos = c.compare(VectorOperators.GT, 0f);
            VectorMask<Float> neg = c.compare(VectorOperators.LT, 0f);
            FloatVector u = c.blend(one, pos).blend(minusOne, neg);
            st(gi.mul(oneMinusBeta2).add(mi.mul(beta2)), m, mOff + i);
            FloatVector pi = ld(p, pOff + i);
            st(pi.add(u.add(pi.mul(weightDecay)).mul(negLr)), p, pOff + i);
        }
        if (bound < n) {
            RefOptim.lion(p, pOff + bound, g, gOff + bound, m, mOff + bound, n - bound, lr, beta1,
                    oneMinusBeta1, beta2, oneMinusBeta2, weightDecay);
        }
    }

    /** PyTorch's lerp(m, g, w): m + w (g - m) for |w| &lt; 0.5, else g - (g - m)(1 - w); w1c = 1 - w. */
    private static FloatVector lerp(FloatVector m, FloatVector g, boolean lowWeight, float w, float w1c) {
        FloatVector d = g.sub(m);
        return lowWeight ? m.add(d.mul(w)) : g.sub(d.mul(w1c));
    }

    private static FloatVector ld(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * Float.BYTES, NATIVE);
    }

    private static void st(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * Float.BYTES, NATIVE);
    }
}
