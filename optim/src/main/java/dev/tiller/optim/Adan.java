package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Adan (Xie et al. 2022, "Adan: Adaptive Nesterov Momentum Algorithm", arXiv 2208.06677, Algorithm 1) with Optax's
 * semantics (optax.adan = scale_by_adan, add_decayed_weights, scale_by_learning_rate):
 * <pre>
 *   d = g - g_prev   (0 at the first step)
 *   m = b1 m + (1 - b1) g
 *   v = b2 v + (1 - b2) d
 *   n = b3 n + (1 - b3) (g + (1 - b2) d)^2
 *   u = (m / (1 - b1^t) + (1 - b2) v / (1 - b2^t)) / (sqrt(n / (1 - b3^t) + epsRoot) + eps)
 *   p = p - lr * (u + weightDecay * p)
 * </pre>
 * NOTE: Optax's decay is additive (lr * weightDecay * p), not the paper's proximal division by (1 + lr * weightDecay).
 * State "m/NAME", "v/NAME", "n/NAME" and the previous gradient "g/NAME" (Optax's names), zero at start.
 */
public final class Adan extends AbstractOptimizer<AdanHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public Adan(List<ParamGroup<AdanHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("Adan", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("m", p);
            slot("v", p);
            slot("n", p);
            slot("g", p);
        }
    }

    /** One group, float32 state. */
    public Adan(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, AdanHyper h, long t) {
        StateSlot ms = slotOf("m", p);
        StateSlot vs = slotOf("v", p);
        StateSlot ns = slotOf("n", p);
        StateSlot gps = slotOf("g", p);
        Tensor mt = ms.open();
        Tensor vt = vs.open();
        Tensor nt = ns.open();
        Tensor gpt = gps.open();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment m = mt.segment();
        MemorySegment v = vt.segment();
        MemorySegment ns2 = nt.segment();
        MemorySegment gp = gpt.segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long mo = mt.offset();
        long vo = vt.offset();
        long no = nt.offset();
        long gpo = gpt.offset();
        long n = p.numel();
        float b1 = h.b1();
        float c1 = Scalars.oneMinus(b1);   // 1 - b1
        float b2 = h.b2();
        float c2 = Scalars.oneMinus(b2);   // 1 - b2
        float b3 = h.b3();
        float c3 = Scalars.oneMinus(b3);   // 1 - b3
        float bc1 = OptaxMath.biasCorrection(b1, t);
        float bc2 = OptaxMath.biasCorrection(b2, t);
        float bc3 = OptaxMath.biasCorrection(b3, t);
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float d = t == 1 ? 0f : g - gp.getAtIndex(F32, gpo + i);
            float mi = c1 * g + b1 * m.getAtIndex(F32, mo + i);
            float vi = c2 * d + b2 * v.getAtIndex(F32, vo + i);
            float sq = g + c2 * d;
            float ni = c3 * (sq * sq) + b3 * ns2.getAtIndex(F32, no + i);
            m.setAtIndex(F32, mo + i, mi);
            v.setAtIndex(F32, vo + i, vi);
            ns2.setAtIndex(F32, no + i, ni);
            gp.setAtIndex(F32, gpo + i, g);
            float u = (mi / bc1 + c2 * (vi / bc2)) / ((float) Math.sqrt(ni / bc3 + h.epsRoot()) + h.eps());
            float wi = w.getAtIndex(F32, wo + i);
            w.setAtIndex(F32, wo + i, wi + step * (u + h.weightDecay() * wi));
        }
        ms.commit(t);
        vs.commit(t);
        ns.commit(t);
        gps.commit(t);
    }
}
