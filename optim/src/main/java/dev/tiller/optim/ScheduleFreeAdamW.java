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
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", arXiv 2405.15682) with Optax's semantics
 * (optax.contrib.schedule_free wrapped around scale_by_rms(b2, eps outside the root, bias-corrected),
 * add_decayed_weights and the learning rate). The parameters hold y, the point gradients are taken at; z is stored;
 * x, the evaluation point, is recovered from y and z. At step t (from 1), with the warm-up schedule
 * s(c) = lr * min(c, warmupSteps) / warmupSteps:
 * <pre>
 *   v = b2 v + (1 - b2) g^2
 *   z' = z - s(t-1) * (g / (sqrt(v / (1 - b2^t)) + eps) + weightDecay * y)
 *   lrMax = max(lrMax, s(t));  w = lrMax^weightLrPower;  W = W + w;  c = w / W   (0 when W = 0)
 *   x = (y - (1 - b1) z) / b1;  x' = (1 - c) x + c z';  y' = b1 x' + (1 - b1) z'
 * </pre>
 * NOTE: the base optimizer's schedule counts from 0 and the averaging weight's from 1, as in Optax, so the first
 * warm-up step moves nothing (s(0) = 0) while its averaging weight is already positive.
 * State "z/NAME", "nu/NAME" per parameter and the scalars "schedule_free/max_lr", "schedule_free/weight_sum".
 * Use {@link #evalParams} for the x sequence.
 */
public final class ScheduleFreeAdamW extends AbstractOptimizer<ScheduleFreeAdamWHyper, Moments> {
    private final Tensor maxLr = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private final Tensor weightSum = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private float ck;       // this step's averaging coefficient c, set in beforeStep

    public ScheduleFreeAdamW(List<ParamGroup<ScheduleFreeAdamWHyper>> groups, Map<String, StatePrecision> precisions,
                             Allocator alloc, long seed) {
        super("ScheduleFreeAdamW", groups, precisions, alloc, seed);
        maxLr.fill(0f);
        weightSum.fill(0f);
        // z starts at the initial parameters
        declareState(p -> new Moments(slot("z", p).fill(p.value()), slot("nu", p)));
    }

    /** One group, float32 state. */
    public ScheduleFreeAdamW(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void beforeStep(ScheduleFreeAdamWHyper h, long t) {
        float lr = OptaxMath.warmupConstant(h.lr(), h.warmupSteps(), t);
        float lrMax = Math.max(maxLr.getFloat(0), lr);
        float weight = (float) StrictMath.pow(lrMax, h.weightLrPower());
        float total = weightSum.getFloat(0) + weight;
        if (Float.isNaN(weight) || Float.isNaN(total)) {
            ck = Float.NaN;
        } else {
            float c = weight / total;
            ck = Float.isNaN(c) ? 0f : c;       // Optax's nan_to_num: 0/0 (lr still 0) averages nothing in
        }
        maxLr.setFloat(lrMax, 0);
        weightSum.setFloat(total, 0);
    }

    @Override
    protected void update(ParamRef p, Moments s, ScheduleFreeAdamWHyper h, long t) {
        Floats y = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats z = s.first().openElements();
        Floats v = s.second().openElements();
        OptaxBetas k = OptaxBetas.of(h.b1(), h.b2(), t);
        float b1 = k.b1();
        float c1 = k.c1();
        float step = -OptaxMath.warmupConstant(h.lr(), h.warmupSteps(), t - 1);
        float c = ck;
        for (long i = 0, n = p.numel(); i < n; i++) {
            float gi = g.get(i);
            float yi = y.get(i);
            float vi = k.secondMoment(v.get(i), gi);
            v.set(i, vi);
            float u = gi * (1f / ((float) Math.sqrt(vi / k.bc2()) + h.eps())) + h.weightDecay() * yi;
            float zOld = z.get(i);
            float zNew = zOld + step * u;
            z.set(i, zNew);
            float x = (yi - c1 * zOld) / b1;
            float xNew = (1f - c) * x + c * zNew;
            float yNew = b1 * xNew + c1 * zNew;
            y.set(i, yi + (yNew - yi));     // Optax returns y' - y and applies it
        }
        s.commit(t);
    }

    /**
     * Writes the evaluation point x = (y - (1 - b1) z) / b1 of parameter p into out (shaped like p), using the
     * current parameters and state (optax.contrib.schedule_free_eval_params).
     */
    public void evalParams(ParamRef p, float b1, Tensor out) {
        Floats y = Floats.weights(p);
        Floats z = stateOf(p).first().openElements();
        Floats o = Floats.of(out);
        float c1 = Scalars.oneMinus(b1);
        for (long i = 0, n = p.numel(); i < n; i++) {
            o.set(i, (y.get(i) - c1 * z.get(i)) / b1);
        }
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>(super.state());
        out.put("schedule_free/max_lr", maxLr);
        out.put("schedule_free/weight_sum", weightSum);
        return Collections.unmodifiableMap(out);
    }

    @Override
    public long stateBytes() {
        return super.stateBytes() + 8;
    }
}
