package dev.tiller.bench;

import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Workload {@code adamw}: one AdamW step (lr 1e-3, PyTorch defaults otherwise) over 4 tensors of 2^22 float32
 * parameters with given gradients; prints adamw_16M_step_s and adamw_params_per_s (median of 10 after 3 warm-up).
 */
final class AdamWWorkload {
    private AdamWWorkload() {}

    static void run(Main.Report out) {
        List<ParamRef> params = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Tensor p = Tensor.allocate(Allocators.auto(), DType.F32, 1 << 22);
            p.copyFrom(Tensor.normal(0, 10 + i, 0f, 1f, 1 << 22));
            Tensor g = Tensor.allocate(Allocators.auto(), DType.F32, 1 << 22);
            g.copyFrom(Tensor.normal(0, 20 + i, 0f, 1f, 1 << 22));
            params.add(new ParamRef("p" + i, p, g));
        }
        AdamW opt = new AdamW(params);
        AdamWHyper h = AdamWHyper.defaults();
        StepTimer.Result r = StepTimer.time(() -> opt.step(h), 3, 10);
        out.put("adamw_16M_step_s", r.medianSeconds());
        out.put("adamw_params_per_s", (4 << 22) / r.medianSeconds());
        out.put("adamw_heap_bytes_per_step", r.heapBytesPerStep());
    }
}
