package dev.tiller.autograd;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.Set;

/**
 * Low-precision activations: while a scope is open on a thread, each op's float32 output is rounded (to nearest
 * even) to bfloat16 or float16 values, as if stored in that format, and gradients flow as usual. Compute stays
 * float32 (the engine's kernels are float32), so this gives the numerics of 16-bit activations, not their speed.
 * As PyTorch's autocast, ops that need range or accuracy keep float32 outputs: softmax and log-softmax, norms,
 * losses, reductions, exp and log. Outputs that are views of an input are left alone (they carry that input's
 * values, already rounded when it was an activation; rounding in place would change a parameter).
 */
public final class Autocast {
    private static final ThreadLocal<DType> MODE = new ThreadLocal<>();
    private static final Set<String> FLOAT32_OPS = Set.of("softmax", "log_softmax", "cross_entropy", "mse_loss",
            "layer_norm", "rms_norm", "batch_norm", "sum", "mean", "amax", "logsumexp", "exp", "log");

    private Autocast() {}

    /** Rounds op outputs to dtype (BF16 or F16) until the returned scope closes. */
    public static GradMode.Scope enable(DType dtype) {
        if (dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("Autocast: dtype must be bf16 or f16, got " + dtype.shortName());
        }
        DType before = MODE.get();
        MODE.set(dtype);
        return () -> MODE.set(before);
    }

    /** The active dtype on this thread, or null. */
    public static DType mode() {
        return MODE.get();
    }

    static void round(String op, Tensor out, Tensor[] in) {
        DType d = MODE.get();
        if (d == null || out.dtype() != DType.F32 || FLOAT32_OPS.contains(op)) {
            return;
        }
        for (Tensor t : in) {
            if (t != null && t.sharesStorage(out)) {
                return;
            }
        }
        Tensor low = out.to(d);
        out.copyFrom(low);
        low.close();
    }
}
