package dev.tiller.optim;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.OptimKernels;

/**
 * The fused optimizer updates over whole tensors: each call updates one parameter's contiguous float32 tensors in
 * place through the kernels of OptimKernels (contracts on RefOptim), cutting them into fixed chunks of
 * {@link #GRAIN} elements that Parallel.forRange spreads over threads. Chunks depend only on the size, and the
 * update is element-wise, so results are bitwise identical for any thread count. Scalars are precomputed by the
 * optimizer (AdamTerms, bias corrections). Tensors are trusted: same element count, contiguous, float32, not
 * overlapping.
 */
final class FusedUpdate {
    /** Elements per parallel chunk: 16 Ki floats = 64 KiB per operand, big enough to amortise a hand-off. */
    static final int GRAIN = 1 << 14;

    private FusedUpdate() {}

    /** Adam or AdamW with AMSGrad's running maximum vMax over p, g, m, v, vMax: RefOptim.amsgrad. */
    static void amsgrad(Tensor p, Tensor g, Tensor m, Tensor v, Tensor vMax, AdamTerms t, float stepSize,
                        float bc2Sqrt) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        long xo = vMax.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.amsgrad(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, vMax.segment(), xo + s, e - s, t.sign(), t.decay(), t.l2(),
                t.oneMinusBeta1(), t.beta2(), t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** AdamW (decoupled decay, t.decay()) over p, g, m, v: RefOptim.adamw. */
    static void adamw(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.adamw(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, e - s, t.sign(), t.decay(), t.oneMinusBeta1(), t.beta2(),
                t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** Adam (L2 decay, t.l2()) over p, g, m, v: RefOptim.adam. */
    static void adam(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.adam(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, e - s, t.sign(), t.l2(), t.oneMinusBeta1(), t.beta2(),
                t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** RefOptim.sgd over all of p, g. */
    static void sgd(Tensor p, Tensor g, float gradSign, float weightDecay, float lr) {
        long po = p.offset();
        long go = g.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.sgd(p.segment(), po + s, g.segment(), go + s,
                e - s, gradSign, weightDecay, lr));
    }

    /** RefOptim.sgdMomentum over all of p, g and the momentum buffer b, with the scalars of step. */
    static void sgdMomentum(Tensor p, Tensor g, Tensor b, SgdStep step) {
        long po = p.offset();
        long go = g.offset();
        long bo = b.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.sgdMomentum(p.segment(), po + s, g.segment(),
                go + s, b.segment(), bo + s, e - s, step.gradSign(), step.weightDecay(), step.lr(), step.momentum(),
                step.oneMinusDampening(), step.nesterov(), step.firstStep()));
    }

    /** RefOptim.lion over all of p, g, m (for optax.lion). */
    static void lion(Tensor p, Tensor g, Tensor m, float lr, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float weightDecay) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        Parallel.forRange(count(p), GRAIN, (s, e) -> OptimKernels.lion(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, e - s, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, weightDecay));
    }

    private static int count(Tensor p) {
        long n = p.numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fused optimizer update: tensor of " + n
                    + " elements exceeds 2^31 - 1; split the parameter");
        }
        return (int) n;
    }
}
