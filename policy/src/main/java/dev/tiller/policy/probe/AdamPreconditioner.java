package dev.tiller.policy.probe;

import dev.tiller.optim.Adam;
import dev.tiller.optim.AdamHyper;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.StatePrecision;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Adam's diagonal preconditioner as the curvature probe needs it: P = (1 - beta1^t) (sqrt(v / (1 - beta2^t)) + eps),
 * the matrix of Adam's update w -= lr P^-1 m (m the raw first moment, v the raw second moment, "exp_avg_sq/NAME", or
 * AMSGrad's "max_exp_avg_sq/NAME"), which is the P of the preconditioned sharpness lambda_max(P^-1 H) in Cohen et al.
 * 2022 (arXiv 2207.14484). It is the preconditioner of the last applied update (t = the optimizer's step count, v as
 * stored), with each group's hyperparameters; the update about to be applied differs from it by one EMA step of v.
 * Reads the stored state only (bfloat16 and 8-bit decoded here), so the optimizer is untouched.
 */
final class AdamPreconditioner {
    private AdamPreconditioner() {}

    /**
     * P^(-1/2) per element of each of params, or empty when the optimizer is not Adam or AdamW, hyper is not its
     * record, or no update has been applied yet (no second moment to precondition with). A parameter the optimizer
     * does not hold, or an element whose P is not positive and finite, gets 0: the update never moves it.
     */
    static Optional<float[][]> inverseSqrt(Optimizer<?> optimizer, Record hyper, List<ParamRef> params) {
        if (!adamFamily(optimizer, hyper)) {
            return Optional.empty();
        }
        long t = optimizer.stepCount();
        if (t < 1) {
            return Optional.empty();
        }
        Map<String, AdamHyper> byParam = new HashMap<>();
        for (ParamGroup<?> g : optimizer.groups()) {
            AdamHyper h = asAdam(override(g).apply(hyper));
            if (h == null) {
                return Optional.empty();
            }
            for (ParamRef p : g.params()) {
                byParam.put(p.name(), h);
            }
        }
        Map<String, Tensor> state = optimizer.state();
        float[][] out = new float[params.size()][];
        for (int i = 0; i < out.length; i++) {
            ParamRef p = params.get(i);
            float[] d = new float[Math.toIntExact(p.numel())];
            out[i] = d;
            AdamHyper h = byParam.get(p.name());
            String key = (h != null && h.amsgrad() ? "max_exp_avg_sq/" : "exp_avg_sq/") + p.name();
            Tensor v = state.get(key);
            if (h == null || v == null || v.numel() != d.length) {
                continue;
            }
            float[] vs = decode(v, state.get(key + "#scale"));
            fill(d, vs, decimal(h.beta1()), decimal(h.beta2()), h.eps(), t);
        }
        return Optional.of(out);
    }

    /** True when optimizer is Adam or AdamW and hyper its record: the probe measures P^-1 H. */
    static boolean adamFamily(Optimizer<?> optimizer, Record hyper) {
        return (optimizer instanceof Adam || optimizer instanceof AdamW) && asAdam(hyper) != null;
    }

    /** d[j] = P_j^(-1/2) from the raw second moment v at step count t; 0 where P_j is not positive and finite. */
    static void fill(float[] d, float[] v, double beta1, double beta2, double eps, long t) {
        double bc1 = 1 - StrictMath.pow(beta1, t);
        double bc2 = 1 - StrictMath.pow(beta2, t);
        for (int j = 0; j < d.length; j++) {
            double pj = bc1 * (Math.sqrt(Math.max(v[j], 0) / bc2) + eps);
            d[j] = pj > 0 && Double.isFinite(pj) ? (float) (1 / Math.sqrt(pj)) : 0f;
        }
    }

    /** The float's shortest decimal as a double, as the optimizer reads its betas. */
    private static double decimal(float x) {
        return Double.parseDouble(Float.toString(x));
    }

    private static AdamHyper asAdam(Record h) {
        if (h instanceof AdamWHyper w) {
            return w.asAdam();
        }
        return h instanceof AdamHyper a ? a : null;
    }

    /** The group's override, applied to the step's record (the group was built for the optimizer's own type). */
    @SuppressWarnings("unchecked")
    private static UnaryOperator<Record> override(ParamGroup<?> g) {
        return (UnaryOperator<Record>) (UnaryOperator<?>) g.override();
    }

    /** A stored state tensor as float32: float32 as is, bfloat16 widened, 8-bit codes x their block's absmax / 127. */
    static float[] decode(Tensor stored, Tensor scales) {
        float[] x = stored.toFloatArray();
        if (stored.dtype() == DType.I8) {
            float[] s = scales.toFloatArray();
            for (int j = 0; j < x.length; j++) {
                x[j] *= s[j / StatePrecision.Q8_BLOCK] / 127f;
            }
        }
        return x;
    }
}
