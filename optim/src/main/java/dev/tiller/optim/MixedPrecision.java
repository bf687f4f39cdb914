package dev.tiller.optim;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.List;

/**
 * Mixed precision for weights: float32 master weights plus a 16-bit (bfloat16 or float16) working copy that the
 * forward and backward passes see. {@link #castWeights()} saves each weight to its master and replaces it in place
 * by its 16-bit rounding; {@link #restoreMasters()} puts the float32 values back before the optimizer updates them,
 * so small updates accumulate in float32 and are not lost to 16-bit rounding. Compute stays float32.
 * Cost: one float32 master per parameter (the working copy lives in the parameter's own storage).
 */
public final class MixedPrecision {
    private final List<ParamRef> params;
    private final DType dtype;
    private final Tensor[] masters;
    private boolean cast;

    public MixedPrecision(List<ParamRef> params, DType dtype) {
        if (dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("MixedPrecision: working dtype must be bf16 or f16, got "
                    + dtype.shortName());
        }
        this.params = List.copyOf(params);
        this.dtype = dtype;
        this.masters = new Tensor[params.size()];
        for (int i = 0; i < masters.length; i++) {
            masters[i] = Tensor.allocate(Allocators.auto(), DType.F32, params.get(i).value().shape());
        }
    }

    public DType dtype() {
        return dtype;
    }

    /** Saves the float32 masters and rounds every weight to the working dtype in place. */
    public void castWeights() {
        if (cast) {
            throw new IllegalStateException("MixedPrecision: weights are already cast; restoreMasters() first");
        }
        for (int i = 0; i < masters.length; i++) {
            Tensor w = params.get(i).value();
            masters[i].copyFrom(w);
            Tensor low = w.to(dtype);
            w.copyFrom(low);
            low.close();
        }
        cast = true;
    }

    /** Restores the float32 master values (before the optimizer step). */
    public void restoreMasters() {
        if (!cast) {
            return;
        }
        for (int i = 0; i < masters.length; i++) {
            params.get(i).value().copyFrom(masters[i]);
        }
        cast = false;
    }
}
