package dev.tiller.optim;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.OptimKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    /** Per-thread copy of one chunk of the parameter before its update, for {@link #measured}. */
    private static final ThreadLocal<float[]> OLD = ThreadLocal.withInitial(() -> new float[GRAIN]);

    private FusedUpdate() {}

    /** Adam or AdamW with AMSGrad's running maximum vMax over p, g, m, v, vMax: RefOptim.amsgrad. */
    static void amsgrad(Tensor p, Tensor g, Tensor m, Tensor v, Tensor vMax, AdamTerms t, float stepSize,
                        float bc2Sqrt) {
        amsgrad(p, g, m, v, vMax, t, stepSize, bc2Sqrt, null);
    }

    /** {@link #amsgrad}, also adding the update's statistics to sums when it is not null (see {@link #measured}). */
    static void amsgrad(Tensor p, Tensor g, Tensor m, Tensor v, Tensor vMax, AdamTerms t, float stepSize,
                        float bc2Sqrt, double[] sums) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        long xo = vMax.offset();
        measured(p, sums, (s, e) -> OptimKernels.amsgrad(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, vMax.segment(), xo + s, e - s, t.sign(), t.decay(), t.l2(),
                t.oneMinusBeta1(), t.beta2(), t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** AdamW (decoupled decay, t.decay()) over p, g, m, v: RefOptim.adamw. */
    static void adamw(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt) {
        adamw(p, g, m, v, t, stepSize, bc2Sqrt, null);
    }

    /** {@link #adamw}, also adding the update's statistics to sums when it is not null (see {@link #measured}). */
    static void adamw(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt,
                      double[] sums) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        measured(p, sums, (s, e) -> OptimKernels.adamw(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, e - s, t.sign(), t.decay(), t.oneMinusBeta1(), t.beta2(),
                t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** Adam (L2 decay, t.l2()) over p, g, m, v: RefOptim.adam. */
    static void adam(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt) {
        adam(p, g, m, v, t, stepSize, bc2Sqrt, null);
    }

    /** {@link #adam}, also adding the update's statistics to sums when it is not null (see {@link #measured}). */
    static void adam(Tensor p, Tensor g, Tensor m, Tensor v, AdamTerms t, float stepSize, float bc2Sqrt,
                     double[] sums) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        long vo = v.offset();
        measured(p, sums, (s, e) -> OptimKernels.adam(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, v.segment(), vo + s, e - s, t.sign(), t.l2(), t.oneMinusBeta1(), t.beta2(),
                t.oneMinusBeta2(), t.eps(), stepSize, bc2Sqrt));
    }

    /** RefOptim.sgd over all of p, g. */
    static void sgd(Tensor p, Tensor g, float gradSign, float weightDecay, float lr) {
        sgd(p, g, gradSign, weightDecay, lr, null);
    }

    /** {@link #sgd}, also adding the update's statistics to sums when it is not null (see {@link #measured}). */
    static void sgd(Tensor p, Tensor g, float gradSign, float weightDecay, float lr, double[] sums) {
        long po = p.offset();
        long go = g.offset();
        measured(p, sums, (s, e) -> OptimKernels.sgd(p.segment(), po + s, g.segment(), go + s,
                e - s, gradSign, weightDecay, lr));
    }

    /** RefOptim.sgdMomentum over all of p, g and the momentum buffer b, with the scalars of step. */
    static void sgdMomentum(Tensor p, Tensor g, Tensor b, SgdStep step) {
        sgdMomentum(p, g, b, step, null);
    }

    /** {@link #sgdMomentum}, also adding the update's statistics to sums when it is not null ({@link #measured}). */
    static void sgdMomentum(Tensor p, Tensor g, Tensor b, SgdStep step, double[] sums) {
        long po = p.offset();
        long go = g.offset();
        long bo = b.offset();
        measured(p, sums, (s, e) -> OptimKernels.sgdMomentum(p.segment(), po + s, g.segment(),
                go + s, b.segment(), bo + s, e - s, step.gradSign(), step.weightDecay(), step.lr(), step.momentum(),
                step.oneMinusDampening(), step.nesterov(), step.firstStep()));
    }

    /** RefOptim.lion over all of p, g, m (for optax.lion). */
    static void lion(Tensor p, Tensor g, Tensor m, float lr, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float weightDecay) {
        lion(p, g, m, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, weightDecay, null);
    }

    /** {@link #lion}, also adding the update's statistics to sums when it is not null (see {@link #measured}). */
    static void lion(Tensor p, Tensor g, Tensor m, float lr, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float weightDecay, double[] sums) {
        long po = p.offset();
        long go = g.offset();
        long mo = m.offset();
        measured(p, sums, (s, e) -> OptimKernels.lion(p.segment(), po + s, g.segment(), go + s,
                m.segment(), mo + s, e - s, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, weightDecay));
    }

    /**
     * Runs the element-wise kernel over p in the fixed chunks. With sums, each chunk first copies its slice of p
     * (64 KiB, which then stays in cache), runs the kernel, and adds sum((new - old)^2) and sum(old^2) from the copy
     * and the slice just written; partials are added in chunk order, so the statistics are deterministic for any
     * thread count; sums[2] gains the nanoseconds the copies and sums took (summed over threads). The kernel is the
     * same either way, so the update's bits never depend on sums.
     */
    private static void measured(Tensor p, double[] sums, Parallel.RangeBody kernel) {
        int n = count(p);
        if (sums == null) {
            Parallel.forRange(n, GRAIN, kernel);
            return;
        }
        int chunks = (n + GRAIN - 1) / GRAIN;
        double[] partial = new double[3 * chunks];
        MemorySegment seg = p.segment();
        long po = p.offset();
        Parallel.forRange(n, GRAIN, (s, e) -> {
            long t0 = System.nanoTime();
            float[] old = OLD.get();
            int len = e - s;
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, (po + s) * Float.BYTES, old, 0, len);
            long t1 = System.nanoTime();
            kernel.run(s, e);
            long t2 = System.nanoTime();
            double uu = 0;
            double ww = 0;
            for (int i = 0; i < len; i++) {
                double w = old[i];
                double u = seg.getAtIndex(ValueLayout.JAVA_FLOAT, po + s + i) - w;    // exact in double
                uu += u * u;
                ww += w * w;
            }
            int c = 3 * (s / GRAIN);
            partial[c] = uu;
            partial[c + 1] = ww;
            partial[c + 2] = (t1 - t0) + (System.nanoTime() - t2);
        });
        for (int c = 0; c < 3 * chunks; c += 3) {
            sums[0] += partial[c];
            sums[1] += partial[c + 1];
            sums[2] += partial[c + 2];
        }
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
