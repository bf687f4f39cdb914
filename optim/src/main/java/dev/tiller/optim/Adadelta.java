package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", Algorithm 1) with PyTorch's semantics
 * (torch.optim.Adadelta, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p
 *   E[g^2]_t = rho E[g^2] + (1 - rho) g^2
 *   dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2]_t + eps) * g
 *   E[dx^2]_t = rho E[dx^2] + (1 - rho) dx^2
 *   p = p - lr dx
 * </pre>
 * State "square_avg" (E[g^2]) and "acc_delta" (E[dx^2]).
 */
public final class Adadelta extends AbstractOptimizer<AdadeltaHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public Adadelta(List<ParamGroup<AdadeltaHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                    long seed) {
        super("Adadelta", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("square_avg", p);
            slot("acc_delta", p);
        }
    }

    /** One group, float32 state. */
    public Adadelta(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, AdadeltaHyper h, long t) {
        float l2 = h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float rho = h.rho();
        float c = Scalars.oneMinus(h.rho());
        float eps = h.eps();
        float negLr = -h.lr();

        StateSlot sqSlot = slotOf("square_avg", p);
        StateSlot dSlot = slotOf("acc_delta", p);
        Tensor sq = sqSlot.open();
        Tensor acc = dSlot.open();
        MemorySegment ps = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment ss = sq.segment();
        MemorySegment ds = acc.segment();
        long po = p.value().offset();
        long go = p.grad().offset();
        long so = sq.offset();
        long dOff = acc.offset();
        long n = p.numel();
        for (long i = 0; i < n; i++) {
            float pi = ps.getAtIndex(F32, po + i);
            float gi = sign * gs.getAtIndex(F32, go + i) + l2 * pi;
            float si = ss.getAtIndex(F32, so + i) * rho + c * gi * gi;
            ss.setAtIndex(F32, so + i, si);
            float std = (float) Math.sqrt(si + eps);
            float dx = (float) Math.sqrt(ds.getAtIndex(F32, dOff + i) + eps) / std * gi;
            ds.setAtIndex(F32, dOff + i, ds.getAtIndex(F32, dOff + i) * rho + c * dx * dx);
            ps.setAtIndex(F32, po + i, pi + negLr * dx);
        }
        sqSlot.commit(t);
        dSlot.commit(t);
    }
}
