package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefOptimKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam", with the momentum schedule of Sutskever et al.)
 * with PyTorch's semantics (torch.optim.NAdam, 2.11), in float32:
 * <pre>
 *   g = -grad if maximize else grad;  g = g + lambda p   (or p = p (1 - lr lambda) when decoupledWeightDecay)
 *   mu_t = beta1 (1 - 0.5 * 0.96^(t psi))       mu_{t+1} = beta1 (1 - 0.5 * 0.96^((t + 1) psi))
 *   prod_t = prod_{t-1} mu_t                    (float32 state "mu_product", starts at 1)
 *   m_t = beta1 m + (1 - beta1) g               v_t = beta2 v + (1 - beta2) g^2
 *   denom = sqrt(v_t / (1 - beta2^t)) + eps
 *   p = p - lr (1 - mu_t) / (1 - prod_t) g / denom - lr mu_{t+1} / (1 - prod_t mu_{t+1}) m_t / denom
 * </pre>
 * psi = momentumDecay. State "exp_avg", "exp_avg_sq" and the per-parameter scalar "mu_product", which PyTorch keeps
 * as a float32 tensor: the product is rounded to float each step, and the step sizes are computed in double from
 * that float, as there.
 */
public final class NAdam extends AbstractOptimizer<NAdamHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public NAdam(List<ParamGroup<NAdamHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                 long seed) {
        super("NAdam", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            slot("exp_avg", p);
            slot("exp_avg_sq", p);
            slot("mu_product", p, 1).fill(1f);
        }
    }

    /** One group, float32 state. */
    public NAdam(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, NAdamHyper h, long t) {
        double lr = Scalars.decimal(h.lr());
        double beta1 = Scalars.decimal(h.beta1());
        double psi = Scalars.decimal(h.momentumDecay());
        float bc2 = (float) (1.0 - StrictMath.pow(Scalars.decimal(h.beta2()), t));
        double mu = beta1 * (1.0 - 0.5 * StrictMath.pow(0.96, t * psi));
        double muNext = beta1 * (1.0 - 0.5 * StrictMath.pow(0.96, (t + 1) * psi));
        StateSlot prodSlot = slotOf("mu_product", p);
        Tensor prodT = prodSlot.open();
        float prod = prodT.segment().getAtIndex(F32, prodT.offset()) * (float) mu;
        prodT.segment().setAtIndex(F32, prodT.offset(), prod);
        prodSlot.commit(t);
        double prodNext = prod * muNext;
        float gradStep = (float) (-lr * (1.0 - mu) / (1.0 - prod));
        float momentumStep = (float) (-lr * muNext / (1.0 - prodNext));
        boolean decoupled = h.decoupledWeightDecay();
        float decay = decoupled ? (float) (1.0 - lr * Scalars.decimal(h.weightDecay())) : 1f;
        float l2 = decoupled ? 0f : h.weightDecay();
        float sign = Scalars.gradSign(h.maximize());
        float w1 = Scalars.oneMinus(h.beta1());
        float beta2 = h.beta2();
        float c2 = Scalars.oneMinus(h.beta2());
        float eps = h.eps();

        StateSlot mSlot = slotOf("exp_avg", p);
        StateSlot vSlot = slotOf("exp_avg_sq", p);
        Tensor m = mSlot.open();
        Tensor v = vSlot.open();
        MemorySegment ps = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment ms = m.segment();
        MemorySegment vs = v.segment();
        long po = p.value().offset();
        long go = p.grad().offset();
        long mo = m.offset();
        long vo = v.offset();
        long n = p.numel();
        for (long i = 0; i < n; i++) {
            float pi = ps.getAtIndex(F32, po + i) * decay;
            float gi = sign * gs.getAtIndex(F32, go + i) + l2 * pi;
            float mi = RefOptimKernels.lerp(ms.getAtIndex(F32, mo + i), gi, w1);
            float vi = vs.getAtIndex(F32, vo + i) * beta2 + c2 * gi * gi;
            ms.setAtIndex(F32, mo + i, mi);
            vs.setAtIndex(F32, vo + i, vi);
            float denom = (float) Math.sqrt(vi / bc2) + eps;
            pi = pi + gradStep * gi / denom;
            ps.setAtIndex(F32, po + i, pi + momentumStep * mi / denom);
        }
        mSlot.commit(t);
        vSlot.commit(t);
    }
}
