package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * RMSprop (Hinton, Coursera lecture 6e; centered form from Graves 2013, "Generating Sequences With Recurrent Neural
 * Networks", eq. 38-45) with PyTorch's semantics (torch.optim.RMSprop, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   v_t = alpha v + (1 - alpha) g^2
 *   centered:  gbar_t = alpha gbar + (1 - alpha) g;   a = sqrt(v_t - gbar_t^2) + eps
 *   else:      a = sqrt(v_t) + eps
 *   momentum mu &gt; 0:  b_t = mu b + g / a;   p = p - lr b_t
 *   else:              p = p - lr g / a
 * </pre>
 * State "square_avg" (v), "grad_avg" (gbar) and "momentum_buffer" (b); all three are allocated eagerly so that
 * centered and momentum may be switched on between steps.
 */
public final class RMSprop extends AbstractOptimizer<RMSpropHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public RMSprop(List<ParamGroup<RMSpropHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                   long seed) {
        super("RMSprop", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("square_avg", p);
            slot("grad_avg", p);
            slot("momentum_buffer", p);
        }
    }

    /** One group, float32 state. */
    public RMSprop(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, RMSpropHyper h, long t) {
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float alpha = h.alpha();
        float c = Scalars.oneMinus(h.alpha());
        float eps = h.eps();
        float negLr = -h.lr();
        float mu = h.momentum();
        boolean centered = h.centered();
        boolean useMomentum = mu > 0f;

        StateSlot vSlot = slotOf("square_avg", p);
        StateSlot aSlot = slotOf("grad_avg", p);
        StateSlot bSlot = slotOf("momentum_buffer", p);
        Tensor v = vSlot.open();
        Tensor a = centered ? aSlot.open() : v;
        Tensor b = useMomentum ? bSlot.open() : v;
        MemorySegment ps = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment vs = v.segment();
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        long po = p.value().offset();
        long go = p.grad().offset();
        long vo = v.offset();
        long ao = a.offset();
        long bo = b.offset();
        long n = p.numel();
        for (long i = 0; i < n; i++) {
            float pi = ps.getAtIndex(F32, po + i);
            float gi = sign * gs.getAtIndex(F32, go + i) + l2 * pi;
            float vi = vs.getAtIndex(F32, vo + i) * alpha + c * gi * gi;
            vs.setAtIndex(F32, vo + i, vi);
            float avg;
            if (centered) {
                float ai = RefOptimKernels.lerp(as.getAtIndex(F32, ao + i), gi, c);
                as.setAtIndex(F32, ao + i, ai);
                avg = (float) Math.sqrt(vi + -1f * ai * ai) + eps;
            } else {
                avg = (float) Math.sqrt(vi) + eps;
            }
            if (useMomentum) {
                float bi = bs.getAtIndex(F32, bo + i) * mu + gi / avg;
                bs.setAtIndex(F32, bo + i, bi);
                ps.setAtIndex(F32, po + i, pi + negLr * bi);
            } else {
                ps.setAtIndex(F32, po + i, pi + negLr * gi / avg);
            }
        }
        vSlot.commit(t);
        if (centered) {
            aSlot.commit(t);
        }
        if (useMomentum) {
            bSlot.commit(t);
        }
    }
}
