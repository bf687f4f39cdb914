package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with hypergradient descent on the learning rate (Baydin, Cornish, Martinez Rubio, Schmidt, Wood 2018,
 * "Online Learning Rate Adaptation with Hypergradient Descent", arXiv 1703.04782, Adam-HD), weight decay decoupled
 * as in AdamW. With u the previous step's Adam direction m_hat / (sqrt(v_hat) + eps) (decay not included; 0 before
 * the first step) and lr_t the step record's lr, step t is:
 * <pre>
 *   h_t = sum over every parameter of every group of g_t . u_{t-1}      (in double, parameter order)
 *   mult_t = mult_{t-1} + hypergradLr h_t / lr_t                        (mult_0 = 1)
 *   AdamW's step (PyTorch's, as {@link AdamW}) with lr = lr_t mult_t; then u_t = m_hat_t / (sqrt(v_hat_t) + eps)
 * </pre>
 * So under a constant lr the effective rate alpha_t = lr mult_t follows Baydin's alpha_t = alpha_{t-1} + beta h_t,
 * and a schedule or a regime knob still composes: it scales the rate the hypergradient adapts. The multiplier is
 * shared by every group (h_t is divided by the step's record lr, before group overrides); a non-finite h_t, or
 * lr_t = 0, leaves it unchanged, so one bad gradient does not poison the rate for the rest of the run. With
 * hypergradLr = 0 the multiplier stays exactly 1 and the weights and moments are AdamW's, bit for bit.
 * <p>
 * Differences from the reference code (gbaydin/hypergradient-descent, hypergrad/adam_hd.py): its weight decay is an
 * L2 term inside g; it adds each parameter's hypergradient to its group's lr before that parameter's step, where
 * here one global h_t sets the rate of the whole step; its direction puts eps outside the bias correction,
 * m / (sqrt(v) + eps) x sqrt(1 - beta2^(t-1)) / (1 - beta1^(t-1)), where here it is AdamW's own direction.
 * <p>
 * State: "exp_avg" (m), "exp_avg_sq" (v), "prev_direction" (u) per parameter, and "adamw_hd/lr_multiplier", the
 * multiplier as the raw bits of a double in a one-element int64 tensor (there is no float64 dtype), so that
 * {@link #state()} and {@link #loadState} round-trip it exactly.
 */
public final class AdamWHd extends AbstractOptimizer<AdamWHdHyper, AdamWHd.HdState> {
    /** The state key of the learning-rate multiplier. */
    public static final String MULTIPLIER = "adamw_hd/lr_multiplier";

    /** "exp_avg" (m), "exp_avg_sq" (v) and "prev_direction" (u, the last step's Adam direction). */
    record HdState(StateSlot m, StateSlot v, StateSlot u) {}

    private final Tensor multiplier = Tensor.allocate(Allocators.auto(), DType.I64, 1);

    /** groups, precisions (per state kind), allocator, seed: as AbstractOptimizer. */
    public AdamWHd(List<ParamGroup<AdamWHdHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                   long seed) {
        super("AdamWHd", groups, precisions, alloc, seed);
        setMultiplier(1.0);
        declareState(p -> new HdState(slot("exp_avg", p), slot("exp_avg_sq", p), slot("prev_direction", p)));
    }

    /** One group, float32 state. */
    public AdamWHd(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    /** The learning-rate multiplier mult_t of the last step (1 before the first): the effective lr is lr x this. */
    public double lrMultiplier() {
        return Double.longBitsToDouble(multiplier.getLong(0));
    }

    private void setMultiplier(double v) {
        multiplier.segment().setAtIndex(ValueLayout.JAVA_LONG, multiplier.offset(), Double.doubleToRawLongBits(v));
    }

    @Override
    protected boolean measuresUpdates() {
        return true;
    }

    @Override
    protected void beforeStep(AdamWHdHyper hyper, long t) {
        if (hyper.hypergradLr() == 0f || t == 1) {
            return;                                   // no rate to learn, or u_0 = 0 so h_1 = 0
        }
        double h = 0;
        int k = 0;
        for (ParamGroup<AdamWHdHyper> group : groups()) {
            for (ParamRef p : group.params()) {
                Floats g = Floats.grads(p);
                Floats u = stateAt(k++).u().openElements();
                for (long i = 0, n = p.numel(); i < n; i++) {
                    h += (double) g.get(i) * u.get(i);
                }
            }
        }
        double lr = Scalars.decimal(hyper.lr());
        if (Double.isFinite(h) && lr > 0) {
            setMultiplier(lrMultiplier() + Scalars.decimal(hyper.hypergradLr()) * h / lr);
        }
    }

    @Override
    protected void update(ParamRef p, HdState s, AdamWHdHyper h, long t) {
        double lr = Scalars.decimal(h.lr()) * lrMultiplier();     // AdamW's lr exactly when the multiplier is 1
        double bc1 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta1()), t);
        double bc2 = 1.0 - StrictMath.pow(Scalars.decimal(h.beta2()), t);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = (float) (1.0 - lr * Scalars.decimal(h.weightDecay()));
        AdamTerms terms = new AdamTerms(1f, decay, 0f, Scalars.oneMinus(h.beta1()), h.beta2(),
                Scalars.oneMinus(h.beta2()), h.eps());
        Tensor m = s.m().open();
        Tensor v = s.v().open();
        FusedUpdate.adamw(p.value(), p.grad(), m, v, terms, stepSize, bc2Sqrt, updateSums(p));
        Floats mf = Floats.of(m);
        Floats vf = Floats.of(v);
        Floats u = s.u().openElements();
        float invBc1 = (float) (1.0 / bc1);
        float eps = h.eps();
        for (long i = 0, n = p.numel(); i < n; i++) {
            u.set(i, mf.get(i) * invBc1 / ((float) Math.sqrt(vf.get(i)) / bc2Sqrt + eps));
        }
        s.m().commit(t);
        s.v().commit(t);
        s.u().commit(t);
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>(super.state());
        out.put(MULTIPLIER, multiplier);
        return Collections.unmodifiableMap(out);
    }

    @Override
    public long stateBytes() {
        return super.stateBytes() + Long.BYTES;
    }
}
