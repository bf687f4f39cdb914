package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * NovoGrad (Ginsburg et al. 2019, "Stochastic Gradient Methods with Layer-wise Adaptive Moments", arXiv 1905.11286)
 * with Optax's semantics (optax.novograd = scale_by_novograd, scale_by_learning_rate). The second moment is one
 * number per tensor (layer-wise):
 * <pre>
 *   v = ||g||^2                              at t = 1, else  v = b2 v + (1 - b2) ||g||^2
 *   m = g / (sqrt(v + epsRoot) + eps) + weightDecay * p        at t = 1, else  m = b1 m + (that)
 *   p = p - lr * m
 * </pre>
 * No bias correction. State "mu/NAME" (shaped like the parameter) and "nu/NAME" (shape (1)), Optax's names.
 */
public final class NovoGrad extends AbstractOptimizer<NovoGradHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public NovoGrad(List<ParamGroup<NovoGradHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                    long seed) {
        super("NovoGrad", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("mu", p);
            slot("nu", p, 1);
        }
    }

    /** One group, float32 state. */
    public NovoGrad(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, NovoGradHyper h, long t) {
        StateSlot ms = slotOf("mu", p);
        StateSlot vs = slotOf("nu", p);
        Tensor mt = ms.open();
        Tensor vt = vs.open();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment m = mt.segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long mo = mt.offset();
        long n = p.numel();
        float gg = (float) (OptaxMath.l2(p.grad()) * OptaxMath.l2(p.grad()));
        float nu = t == 1 ? gg : Scalars.oneMinus(h.b2()) * gg + h.b2() * vt.segment().getAtIndex(F32, vt.offset());
        vt.segment().setAtIndex(F32, vt.offset(), nu);
        float denom = (float) Math.sqrt(nu + h.epsRoot()) + h.eps();
        float b1 = h.b1();
        float step = -h.lr();
        for (long i = 0; i < n; i++) {
            float wi = w.getAtIndex(F32, wo + i);
            float a = gs.getAtIndex(F32, go + i) / denom + h.weightDecay() * wi;
            float mi = t == 1 ? a : b1 * m.getAtIndex(F32, mo + i) + a;
            m.setAtIndex(F32, mo + i, mi);
            w.setAtIndex(F32, wo + i, wi + step * mi);
        }
        ms.commit(t);
        vs.commit(t);
    }
}
