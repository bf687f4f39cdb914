package dev.tiller.optim;

import dev.tiller.tensor.Allocator;

import java.util.List;
import java.util.Map;

/**
 * The one implementation of Adam and AdamW (PyTorch's _single_tensor_adam): AdamW is Adam with decoupled weight
 * decay, so each subclass only says how its record reads as an {@link AdamHyper}. Scalars are computed in double
 * from the user's decimals, then one fused pass per parameter (FusedUpdate.adam, adamw, or amsgrad). State is opened
 * as float32 and committed back, so bf16 and 8-bit state work too.
 *
 * @param <H> the hyperparameter record
 */
abstract sealed class AdamFamily<H extends Record> extends AbstractOptimizer<H, AdamFamily.AdamState>
        permits Adam, AdamW {

    /** "exp_avg" (m), "exp_avg_sq" (v) and, when allocated, AMSGrad's "max_exp_avg_sq" (vMax, else null). */
    record AdamState(StateSlot m, StateSlot v, StateSlot vMax) {}

    AdamFamily(String name, List<ParamGroup<H>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
               long seed, Amsgrad amsgrad) {
        super(name, groups, precisions, alloc, seed);
        declareState(p -> new AdamState(slot("exp_avg", p), slot("exp_avg_sq", p),
                amsgrad == Amsgrad.WITH_MAX_STATE ? slot("max_exp_avg_sq", p) : null));
    }

    @Override
    protected final boolean measuresUpdates() {
        return true;
    }

    /** The record as Adam's: AdamW's is Adam's with decoupledWeightDecay set. */
    abstract AdamHyper asAdam(H h);

    @Override
    protected final void update(ParamRef p, AdamState s, H hyper, long t) {
        AdamHyper h = asAdam(hyper);
        if (h.amsgrad() && s.vMax() == null) {
            throw new IllegalStateException(name() + ": amsgrad = true needs the max_exp_avg_sq state; construct the "
                    + "optimizer with Amsgrad.WITH_MAX_STATE");
        }
        double lr = Scalars.decimal(h.lr());
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta1()), t);
        double bc2 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta2()), t);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        WeightDecay decay = WeightDecay.decoupledIf(h.decoupledWeightDecay());
        AdamTerms terms = AdamTerms.of(h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), decay,
                Scalars.gradSign(h.maximize()));
        if (h.amsgrad()) {
            FusedUpdate.amsgrad(p.value(), p.grad(), s.m().open(), s.v().open(), s.vMax().open(), terms, stepSize,
                    bc2Sqrt, updateSums(p));
            s.vMax().commit(t);
        } else if (decay == WeightDecay.DECOUPLED) {
            FusedUpdate.adamw(p.value(), p.grad(), s.m().open(), s.v().open(), terms, stepSize, bc2Sqrt,
                    updateSums(p));
        } else {
            FusedUpdate.adam(p.value(), p.grad(), s.m().open(), s.v().open(), terms, stepSize, bc2Sqrt,
                    updateSums(p));
        }
        s.m().commit(t);
        s.v().commit(t);
    }
}
