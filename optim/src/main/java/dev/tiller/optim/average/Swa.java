package dev.tiller.optim.average;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Stochastic weight averaging: the equal-weight running mean of the parameters at the averaged steps, as PyTorch's
 * {@code AveragedModel} with its default {@code get_swa_multi_avg_fn}: the first averaged step copies p, then with n
 * the number averaged so far
 * <pre>
 *   avg <- avg + (p - avg) / (n + 1)          (float32)
 * </pre>
 * so after steps s_1..s_k the average is (1/k) sum p(s_i) up to rounding.
 */
public final class Swa extends WeightAverage {
    public Swa(List<ParamRef> params, Allocator allocator) {
        super("swa", params, allocator);
    }

    /**
     * Called after the optimizer step numbered {@code step}; averages when step >= startStep and
     * (step - startStep) is a multiple of every. Returns whether it averaged.
     */
    public boolean update(long step, SwaHyper h) {
        if (step < h.startStep() || (step - h.startStep()) % h.every() != 0) {
            return false;
        }
        foldIn();
        return true;
    }

    /** Folds the current parameters in unconditionally (PyTorch's update_parameters). */
    public void update() {
        foldIn();
    }

    @Override
    protected void average(Tensor avg, Tensor param, long countBefore) {
        if (countBefore == 0) {
            copy(avg, param);
            return;
        }
        final float denom = (float) (countBefore + 1);
        MemorySegment a = avg.segment();
        MemorySegment p = param.segment();
        long ao = avg.offset();
        long po = param.offset();
        long n = avg.numel();
        for (long i = 0; i < n; i++) {
            float e = get(a, ao + i);
            set(a, ao + i, e + (get(p, po + i) - e) / denom);
        }
    }
}
