package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prodigy (Mishchenko, Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner", arXiv 2306.06101)
 * with Optax's semantics (optax.contrib.prodigy). d estimates the distance to the solution, starting at d0
 * (estimLr0); with bc = sqrt(1 - beta2^t) / (1 - beta1^t) (1 when the record's biasCorrection is off) and
 * dlr = d * lr * bc, each step:
 * <pre>
 *   m = beta1 m + (1 - beta1) d g;     v = beta2 v + (1 - beta2) (d g)^2
 *   s = beta3 s + (dlr / d0) d g        (safeguardWarmup: (d / d0) d g)
 *   r = beta3 r + (d / d0) dlr &lt;g, p0 - p&gt;     (sums over all parameters)
 *   d' = max(d, estimLrCoef * r / ||s||_1)
 *   p = p - weightDecay * dlr * p - dlr * m / (sqrt(v) + d' eps)
 * </pre>
 * d, r and the sums are global: a first pass over every parameter (in {@link #beforeStep}) updates m, v, s and
 * accumulates the sums in double, in parameter order (deterministic); the second pass moves the weights.
 * Per-parameter state "exp_avg", "exp_avg_sq", "grad_sum", "params0" (the start point); global "prodigy/estim_lr"
 * (d) and "prodigy/numerator_weighted" (r). The global quantities (beta3, d0, estimLrCoef, safeguardWarmup) come
 * from the step's record; per-group overrides apply to the per-parameter ones (lr, betas, eps, weightDecay).
 * NOTE: when every s is zero (all gradients so far zero) Optax's 0/0 turns d into NaN; here d is kept.
 */
public final class Prodigy extends AbstractOptimizer<ProdigyHyper, Prodigy.ProdigyState> {
    /** "exp_avg" (m), "exp_avg_sq" (v), "grad_sum" (s) and the start point "params0". */
    record ProdigyState(StateSlot m, StateSlot v, StateSlot s, StateSlot params0) {}

    private final Tensor estimLr = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private final Tensor numerator = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private float dOld;     // d at the start of this step (enters dlr)
    private float dNew;     // d after this step's estimate (enters eps)

    public Prodigy(List<ParamGroup<ProdigyHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                   long seed) {
        super("Prodigy", groups, precisions, alloc, seed);
        estimLr.fill(0f);
        numerator.fill(0f);
        declareState(p -> new ProdigyState(slot("exp_avg", p), slot("exp_avg_sq", p), slot("grad_sum", p),
                slot("params0", p).fill(p.value())));
    }

    /** One group, float32 state. */
    public Prodigy(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    /** The current estimate d (0 until the first step sets it to the step's estimLr0). */
    public float estimatedLr() {
        return estimLr.getFloat(0);
    }

    /** d x lr x Adam's bias correction, the last 1 when the record turns it off (the PyTorch reference's default). */
    private static float dlr(float d, ProdigyHyper h, long t) {
        if (!h.biasCorrection()) {
            return d * h.lr();
        }
        float bc = (float) Math.sqrt(OptaxMath.biasCorrection(h.beta2(), t)) / OptaxMath.biasCorrection(h.beta1(), t);
        return d * h.lr() * bc;
    }

    @Override
    protected void beforeStep(ProdigyHyper hyper, long t) {
        if (t == 1) {
            estimLr.setFloat(hyper.estimLr0(), 0);
        }
        float d = estimLr.getFloat(0);
        float d0 = hyper.estimLr0();
        float b3 = hyper.beta3();
        double numeratorAcc = 0;    // sum over groups of (d / d0) * dlr * <g, p0 - p>
        double sAbs = 0;            // ||s||_1 over all parameters
        int k = 0;
        for (ParamGroup<ProdigyHyper> group : groups()) {
            ProdigyHyper h = group.override().apply(hyper);
            float dlr = dlr(d, h, t);
            float sCoef = hyper.safeguardWarmup() ? d : dlr;
            float b1 = h.beta1();
            float c1 = Scalars.oneMinus(b1);   // 1 - b1
            float b2 = h.beta2();
            float c2 = Scalars.oneMinus(b2);   // 1 - b2
            for (ParamRef p : group.params()) {
                ProdigyState state = stateAt(k++);
                Floats w = Floats.weights(p);
                Floats g = Floats.grads(p);
                Floats m = state.m().openElements();
                Floats v = state.v().openElements();
                Floats s = state.s().openElements();
                Floats x0 = state.params0().openElements();
                double dot = 0;
                for (long i = 0, n = p.numel(); i < n; i++) {
                    float gi = g.get(i);
                    dot += (double) gi * (x0.get(i) - w.get(i));
                    float dg = d * gi;
                    m.set(i, b1 * m.get(i) + c1 * dg);
                    v.set(i, b2 * v.get(i) + c2 * dg * dg);
                    float si = b3 * s.get(i) + sCoef * dg / d0;
                    s.set(i, si);
                    sAbs += Math.abs(si);
                }
                state.m().commit(t);
                state.v().commit(t);
                state.s().commit(t);
                numeratorAcc += (double) (d / d0 * dlr) * (float) dot;
            }
        }
        float r = b3 * numerator.getFloat(0) + (float) numeratorAcc;
        numerator.setFloat(r, 0);
        float denom = (float) sAbs;
        float estimate = hyper.estimLrCoef() * r / denom;
        dOld = d;
        dNew = denom == 0f ? d : Math.max(d, estimate);
        estimLr.setFloat(dNew, 0);
    }

    @Override
    protected void update(ParamRef p, ProdigyState s, ProdigyHyper h, long t) {
        Floats w = Floats.weights(p);
        Floats m = s.m().openElements();
        Floats v = s.v().openElements();
        float dlr = dlr(dOld, h, t);
        float decay = -h.weightDecay() * dlr;
        float epsD = dNew * h.eps();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float wi = w.get(i);
            float u = decay * wi - dlr * m.get(i) / ((float) Math.sqrt(v.get(i)) + epsD);
            w.set(i, wi + u);
        }
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>(super.state());
        out.put("prodigy/estim_lr", estimLr);
        out.put("prodigy/numerator_weighted", numerator);
        return Collections.unmodifiableMap(out);
    }

    @Override
    public long stateBytes() {
        return super.stateBytes() + 8;
    }
}
