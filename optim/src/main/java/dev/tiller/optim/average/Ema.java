package dev.tiller.optim.average;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Exponential moving average of the weights, as PyTorch's {@code AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(
 * decay))} (Polyak averaging with exponential weights; the "EMA of weights" of e.g. Izmailov et al. 2018 and Karras et
 * al. 2024): after each optimizer step,
 * <pre>
 *   ema <- lerp(ema, p, 1 - decay) = ema + (1 - decay) (p - ema)
 * </pre>
 * with torch.lerp's float32 form ({@code w < 0.5 ? ema + w (p - ema) : p - (p - ema)(1 - w)}, w = float(1 - decay)).
 * With warmStart the first update copies p instead. Hyperparameters come with each {@link #update} call.
 */
public final class Ema extends WeightAverage {
    private float weight;
    private boolean warmStart;

    public Ema(List<ParamRef> params, Allocator allocator) {
        super("ema", params, allocator);
    }

    /** Folds the current parameters in with hyperparameters h. */
    public void update(EmaHyper h) {
        this.weight = (float) (1.0 - h.decay());
        this.warmStart = h.warmStart();
        foldIn();
    }

    @Override
    protected void average(Tensor avg, Tensor param, long countBefore) {
        if (countBefore == 0 && warmStart) {
            copy(avg, param);
            return;
        }
        final float w = weight;
        MemorySegment a = avg.segment();
        MemorySegment p = param.segment();
        long ao = avg.offset();
        long po = param.offset();
        long n = avg.numel();
        for (long i = 0; i < n; i++) {
            float e = get(a, ao + i);
            float x = get(p, po + i);
            float diff = x - e;
            set(a, ao + i, w < 0.5f ? e + w * diff : x - diff * (1f - w));
        }
    }
}
