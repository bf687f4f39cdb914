package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning", arXiv 1904.00962) with Optax's semantics
 * (optax.lamb = scale_by_adam, add_decayed_weights, scale_by_trust_ratio, scale_by_learning_rate), per tensor:
 * <pre>
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   r = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + epsRoot) + eps) + weightDecay * p
 *   phi = ||p|| / ||r||   (1 when either norm is 0)
 *   p = p - lr * phi * r
 * </pre>
 * State "mu/NAME", "nu/NAME" (Optax's names), zero at start. The trust ratio needs ||r|| before any weight moves,
 * so a first pass updates the moments and accumulates ||r||^2 and a second pass recomputes r (bit-identically) and
 * applies it; nothing is allocated per step.
 */
public final class Lamb extends AbstractOptimizer<LambHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public Lamb(List<ParamGroup<LambHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("LAMB", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("mu", p);
            slot("nu", p);
        }
    }

    /** One group, float32 state. */
    public Lamb(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, LambHyper h, long t) {
        StateSlot ms = slotOf("mu", p);
        StateSlot vs = slotOf("nu", p);
        Tensor mt = ms.open();
        Tensor vt = vs.open();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment m = mt.segment();
        MemorySegment v = vt.segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long mo = mt.offset();
        long vo = vt.offset();
        long n = p.numel();
        float b1 = h.b1();
        float c1 = Scalars.oneMinus(b1);   // 1 - b1
        float b2 = h.b2();
        float c2 = Scalars.oneMinus(b2);   // 1 - b2
        float bc1 = OptaxMath.biasCorrection(b1, t);
        float bc2 = OptaxMath.biasCorrection(b2, t);
        double rr = 0;
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float mi = c1 * g + b1 * m.getAtIndex(F32, mo + i);
            float vi = c2 * (g * g) + b2 * v.getAtIndex(F32, vo + i);
            m.setAtIndex(F32, mo + i, mi);
            v.setAtIndex(F32, vo + i, vi);
            float ri = direction(mi, vi, w.getAtIndex(F32, wo + i), h, bc1, bc2);
            rr += (double) ri * ri;
        }
        float phi = trustRatio(OptaxMath.l2(p.value()), Math.sqrt(rr), 1f, 0f);
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float wi = w.getAtIndex(F32, wo + i);
            float u = direction(m.getAtIndex(F32, mo + i), v.getAtIndex(F32, vo + i), wi, h, bc1, bc2) * phi;
            w.setAtIndex(F32, wo + i, wi + step * u);
        }
        ms.commit(t);
        vs.commit(t);
    }

    /** r = m_hat / (sqrt(v_hat + epsRoot) + eps) + weightDecay * p. */
    private static float direction(float m, float v, float p, LambHyper h, float bc1, float bc2) {
        return (m / bc1) / ((float) Math.sqrt(v / bc2 + h.epsRoot()) + h.eps()) + h.weightDecay() * p;
    }

    /**
     * optax.scale_by_trust_ratio's factor: coefficient * ||p|| / (||u|| + eps), replaced by 1 when either norm is 0
     * (so a zero-initialised layer, or a zero update, is not frozen).
     */
    static float trustRatio(double paramNorm, double updateNorm, float coefficient, float eps) {
        if (paramNorm == 0 || updateNorm == 0) {
            return 1f;
        }
        return coefficient * (float) paramNorm / ((float) updateNorm + eps);
    }
}
