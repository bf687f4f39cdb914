package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Deterministic gradient norms and in-place scaling over float32 tensors. Reductions run in element order with double
 * accumulation, so a norm depends only on the values, never on threads or vector width.
 * <p>
 * The global norm has PyTorch's structure ({@code torch.nn.utils.get_total_norm}): one norm per tensor, rounded to
 * float32 as PyTorch's per-tensor {@code vector_norm} returns it, then the same norm of the vector of those norms,
 * rounded to float32. For p = 2 that is sqrt(sum_i ||g_i||^2); for p = inf, max_i max|g_i|; for p = 1 the sum.
 */
public final class Norms {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private Norms() {}

    /** Checks a norm order: p > 0 finite, or +inf. */
    static double requireNormType(String owner, double p) {
        if (!(p > 0) || Double.isNaN(p)) {
            throw new IllegalArgumentException(owner + ": normType = " + p + " is not allowed; allowed range (0, +inf]"
                    + " (use Double.POSITIVE_INFINITY for the max norm)");
        }
        return p;
    }

    /** The p-norm of all elements of a contiguous float32 tensor, accumulated in double (not rounded). */
    public static double tensorNorm(Tensor t, double p) {
        MemorySegment s = t.segment();
        long off = t.offset();
        long n = t.numel();
        if (p == Double.POSITIVE_INFINITY) {
            double m = 0;
            for (long i = 0; i < n; i++) {
                m = Math.max(m, Math.abs(s.getAtIndex(F32, off + i)));   // Math.max propagates NaN
            }
            return m;
        }
        double acc = 0;
        if (p == 2) {
            for (long i = 0; i < n; i++) {
                double g = s.getAtIndex(F32, off + i);
                acc += g * g;
            }
            return Math.sqrt(acc);
        }
        if (p == 1) {
            for (long i = 0; i < n; i++) {
                acc += Math.abs(s.getAtIndex(F32, off + i));
            }
            return acc;
        }
        for (long i = 0; i < n; i++) {
            acc += StrictMath.pow(Math.abs(s.getAtIndex(F32, off + i)), p);
        }
        return StrictMath.pow(acc, 1 / p);
    }

    /**
     * The global p-norm of the gradients, as PyTorch's clip_grad_norm_ computes it: per-tensor norms (float32) then
     * the p-norm of those, rounded to float32. 0 for an empty list.
     */
    public static float totalNorm(List<ParamRef> params, double p) {
        if (p == Double.POSITIVE_INFINITY) {
            double m = 0;
            for (ParamRef r : params) {
                m = Math.max(m, (float) tensorNorm(r.grad(), p));
            }
            return (float) m;
        }
        double acc = 0;
        for (ParamRef r : params) {
            double ni = (float) tensorNorm(r.grad(), p);
            acc += p == 1 ? ni : p == 2 ? ni * ni : StrictMath.pow(ni, p);
        }
        return (float) (p == 1 ? acc : p == 2 ? Math.sqrt(acc) : StrictMath.pow(acc, 1 / p));
    }

    /** True when every gradient element is finite. */
    public static boolean allFinite(List<ParamRef> params) {
        for (ParamRef r : params) {
            if (!allFinite(r.grad())) {
                return false;
            }
        }
        return true;
    }

    /** True when every element of a contiguous float32 tensor is finite. */
    public static boolean allFinite(Tensor t) {
        MemorySegment s = t.segment();
        long off = t.offset();
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(s.getAtIndex(F32, off + i))) {
                return false;
            }
        }
        return true;
    }

    /** g *= c in float32, for every element of a contiguous float32 tensor. */
    static void scale(Tensor t, float c) {
        MemorySegment s = t.segment();
        long off = t.offset();
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, off + i, s.getAtIndex(F32, off + i) * c);
        }
    }

    /**
     * PyTorch's clip coefficient for total norm {@code norm} and limit {@code maxNorm}, in float32 as PyTorch forms
     * it: {@code min(1, maxNorm / (norm + 1e-6))}. The 1e-6 keeps a zero norm from dividing by zero; it also means a
     * norm just above maxNorm is scaled to slightly below it.
     */
    static float clipCoefficient(float maxNorm, float norm) {
        float coef = maxNorm / (norm + 1e-6f);
        return Math.min(coef, 1f);
    }

    /**
     * Multiplies every gradient by PyTorch's clip coefficient for maxNorm (grads are multiplied even when it is 1,
     * which leaves them bitwise unchanged) and reports it; a non-finite norm leaves the grads untouched.
     */
    static ClipReport clipToNorm(List<ParamRef> params, float norm, float maxNorm) {
        if (!Float.isFinite(norm)) {
            return ClipReport.nonFinite(norm, maxNorm);
        }
        float coef = clipCoefficient(maxNorm, norm);
        if (coef < 1f) {
            for (ParamRef r : params) {
                scale(r.grad(), coef);
            }
        }
        return new ClipReport(norm, maxNorm, coef, coef < 1f, true);
    }
}
