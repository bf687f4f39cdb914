package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Adamax (Kingma and Ba 2015, section 7.1: Adam with the infinity norm) with PyTorch's semantics
 * (torch.optim.Adamax, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   m_t = beta1 m + (1 - beta1) g
 *   u_t = max(beta2 u, |g| + eps)
 *   p = p - lr / (1 - beta1^t) m_t / u_t
 * </pre>
 * State "exp_avg" (m) and "exp_inf" (u). eps sits inside the max, as in PyTorch.
 */
public final class Adamax extends AbstractOptimizer<AdamaxHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public Adamax(List<ParamGroup<AdamaxHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                  long seed) {
        super("Adamax", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("exp_avg", p);
            slot("exp_inf", p);
        }
    }

    /** One group, float32 state. */
    public Adamax(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, AdamaxHyper h, long t) {
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta1()), t);
        float negClr = (float) -(Scalars.decimal(h.lr()) / bc1);
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float w1 = Scalars.oneMinus(h.beta1());
        float beta2 = h.beta2();
        float eps = h.eps();

        StateSlot mSlot = slotOf("exp_avg", p);
        StateSlot uSlot = slotOf("exp_inf", p);
        Tensor m = mSlot.open();
        Tensor u = uSlot.open();
        MemorySegment ps = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment ms = m.segment();
        MemorySegment us = u.segment();
        long po = p.value().offset();
        long go = p.grad().offset();
        long mo = m.offset();
        long uo = u.offset();
        long n = p.numel();
        for (long i = 0; i < n; i++) {
            float pi = ps.getAtIndex(F32, po + i);
            float gi = sign * gs.getAtIndex(F32, go + i) + l2 * pi;
            float mi = RefOptimKernels.lerp(ms.getAtIndex(F32, mo + i), gi, w1);
            float ui = Math.max(us.getAtIndex(F32, uo + i) * beta2, Math.abs(gi) + eps);
            ms.setAtIndex(F32, mo + i, mi);
            us.setAtIndex(F32, uo + i, ui);
            ps.setAtIndex(F32, po + i, pi + negClr * mi / ui);
        }
        mSlot.commit(t);
        uSlot.commit(t);
    }
}
