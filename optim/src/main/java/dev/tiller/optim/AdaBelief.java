package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * AdaBelief (Zhuang et al. 2020, arXiv 2010.07468) with Optax's semantics (optax.adabelief = scale_by_belief,
 * scale_by_learning_rate):
 * <pre>
 *   m = b1 m + (1 - b1) g
 *   s = b2 s + (1 - b2) (g - m)^2 + epsRoot          (the new m; epsRoot enters the state)
 *   m_hat = m / (1 - b1^t)   or, with nesterov, b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)
 *   p = p - lr * m_hat / (sqrt(s / (1 - b2^t)) + eps)
 * </pre>
 * State "mu/NAME", "nu/NAME" (Optax's names), zero at start.
 */
public final class AdaBelief extends AbstractOptimizer<AdaBeliefHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public AdaBelief(List<ParamGroup<AdaBeliefHyper>> groups, Map<String, StatePrecision> precisions,
                     Allocator alloc, long seed) {
        super("AdaBelief", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("mu", p);
            slot("nu", p);
        }
    }

    /** One group, float32 state. */
    public AdaBelief(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, AdaBeliefHyper h, long t) {
        StateSlot ms = slotOf("mu", p);
        StateSlot ss = slotOf("nu", p);
        Tensor mt = ms.open();
        Tensor st = ss.open();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment m = mt.segment();
        MemorySegment s = st.segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long mo = mt.offset();
        long so = st.offset();
        long n = p.numel();
        float b1 = h.b1();
        float c1 = Scalars.oneMinus(b1);   // 1 - b1
        float b2 = h.b2();
        float c2 = Scalars.oneMinus(b2);   // 1 - b2
        float bc1 = OptaxMath.biasCorrection(b1, t);
        float bc1Next = OptaxMath.biasCorrection(b1, t + 1);
        float bc2 = OptaxMath.biasCorrection(b2, t);
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float mi = c1 * g + b1 * m.getAtIndex(F32, mo + i);
            float e = g - mi;
            float si = (c2 * (e * e) + b2 * s.getAtIndex(F32, so + i)) + h.epsRoot();
            m.setAtIndex(F32, mo + i, mi);
            s.setAtIndex(F32, so + i, si);
            float mHat = h.nesterov() ? b1 * (mi / bc1Next) + c1 * (g / bc1) : mi / bc1;
            float u = mHat / ((float) Math.sqrt(si / bc2) + h.eps());
            float wi = w.getAtIndex(F32, wo + i);
            w.setAtIndex(F32, wo + i, wi + step * u);
        }
        ms.commit(t);
        ss.commit(t);
    }
}
