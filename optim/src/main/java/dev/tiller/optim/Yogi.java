package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization", NeurIPS) with Optax's semantics
 * (optax.yogi = scale_by_yogi, scale_by_learning_rate):
 * <pre>
 *   m = b1 m + (1 - b1) g
 *   v = v - (1 - b2) sign(v - g^2) g^2
 *   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + epsRoot) + eps)
 * </pre>
 * NOTE: both moments start at initial_accumulator_value (1e-6 in Optax), not 0, and are still bias-corrected.
 * State "mu/NAME", "nu/NAME" (Optax's names).
 */
public final class Yogi extends AbstractOptimizer<YogiHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** Optax's initial_accumulator_value. */
    public static final float INITIAL_ACCUMULATOR = 1e-6f;

    /** initialAccumulator: the start value of both moments (must be finite and > 0). */
    public Yogi(List<ParamGroup<YogiHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed, float initialAccumulator) {
        super("Yogi", groups, precisions, alloc, seed);
        Check.positive("Yogi", "initialAccumulator", initialAccumulator);
        for (ParamRef p : allParams()) {
            slot("mu", p).fill(initialAccumulator);
            slot("nu", p).fill(initialAccumulator);
        }
    }

    /** One group, float32 state, Optax's start value. */
    public Yogi(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0, INITIAL_ACCUMULATOR);
    }

    @Override
    protected void update(ParamRef p, YogiHyper h, long t) {
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
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float g2 = g * g;
            float mi = c1 * g + b1 * m.getAtIndex(F32, mo + i);
            float vPrev = v.getAtIndex(F32, vo + i);
            float vi = vPrev - c2 * Math.signum(vPrev - g2) * g2;
            m.setAtIndex(F32, mo + i, mi);
            v.setAtIndex(F32, vo + i, vi);
            float u = (mi / bc1) / ((float) Math.sqrt(vi / bc2 + h.epsRoot()) + h.eps());
            float wi = w.getAtIndex(F32, wo + i);
            w.setAtIndex(F32, wo + i, wi + step * u);
        }
        ms.commit(t);
        vs.commit(t);
    }
}
