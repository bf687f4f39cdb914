package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
public final class ScheduleFreeAdamW extends AbstractOptimizer<ScheduleFreeAdamWHyper> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final Tensor maxLr = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private final Tensor weightSum = Tensor.allocate(Allocators.auto(), DType.F32, 1);
    private float ck;       // this step's averaging coefficient c, set in beforeStep

    public ScheduleFreeAdamW(List<ParamGroup<ScheduleFreeAdamWHyper>> groups, Map<String, StatePrecision> precisions,
                             Allocator alloc, long seed) {
        super("ScheduleFreeAdamW", groups, precisions, alloc, seed);
        maxLr.fill(0f);
        weightSum.fill(0f);
        for (ParamRef p : allParams()) {
            StateSlot z = slot("z", p);
            z.open().copyFrom(p.value());   // z starts at the initial parameters
            z.commit(0);
            slot("nu", p);
        }
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
    protected void update(ParamRef p, ScheduleFreeAdamWHyper h, long t) {
        StateSlot zs = slotOf("z", p);
        StateSlot vs = slotOf("nu", p);
        Tensor zt = zs.open();
        Tensor vt = vs.open();
        MemorySegment y = p.value().segment();
        MemorySegment gs = p.grad().segment();
        MemorySegment z = zt.segment();
        MemorySegment v = vt.segment();
        long yo = p.value().offset();
        long go = p.grad().offset();
        long zo = zt.offset();
        long vo = vt.offset();
        long n = p.numel();
        float b1 = h.b1();
        float c1 = Scalars.oneMinus(b1);   // 1 - b1
        float b2 = h.b2();
        float c2 = Scalars.oneMinus(b2);   // 1 - b2
        float bc2 = OptaxMath.biasCorrection(b2, t);
        float step = -OptaxMath.warmupConstant(h.lr(), h.warmupSteps(), t - 1);
        float c = ck;
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float yi = y.getAtIndex(F32, yo + i);
            float vi = c2 * (g * g) + b2 * v.getAtIndex(F32, vo + i);
            v.setAtIndex(F32, vo + i, vi);
            float u = g * (1f / ((float) Math.sqrt(vi / bc2) + h.eps())) + h.weightDecay() * yi;
            float zOld = z.getAtIndex(F32, zo + i);
            float zNew = zOld + step * u;
            z.setAtIndex(F32, zo + i, zNew);
            float x = (yi - c1 * zOld) / b1;
            float xNew = (1f - c) * x + c * zNew;
            float yNew = b1 * xNew + c1 * zNew;
            y.setAtIndex(F32, yo + i, yi + (yNew - yi));     // Optax returns y' - y and applies it
        }
        zs.commit(t);
        vs.commit(t);
    }

    /**
     * Writes the evaluation point x = (y - (1 - b1) z) / b1 of parameter p into out (shaped like p), using the
     * current parameters and state (optax.contrib.schedule_free_eval_params).
     */
    public void evalParams(ParamRef p, float b1, Tensor out) {
        Tensor zt = slotOf("z", p).open();
        MemorySegment y = p.value().segment();
        MemorySegment z = zt.segment();
        MemorySegment o = out.segment();
        float c1 = Scalars.oneMinus(b1);
        for (long i = 0; i < p.numel(); i++) {
            float yi = y.getAtIndex(F32, p.value().offset() + i);
            o.setAtIndex(F32, out.offset() + i, (yi - c1 * z.getAtIndex(F32, zt.offset() + i)) / b1);
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
