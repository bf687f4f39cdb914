package dev.tiller.optim;

import dev.tiller.tensor.kernel.ref.RefOptim;

/**
 * The per-element start of a PyTorch Adam-family step (Adam, AdamW, NAdam, RAdam), in float32 with the scalars
 * rounded once from the user's decimals (Scalars):
 * <pre>
 *   p = p * decay                       decay = 1 - lr lambda (DECOUPLED) or 1
 *   g = sign * grad + l2 * p            l2 = lambda (L2) or 0;  sign = -1 when maximizing
 *   m = lerp(m, g, 1 - beta1)           v = v beta2 + (1 - beta2) g^2
 * </pre>
 * The fused kernels (FusedUpdate) take the same scalars; NAdam and RAdam run {@link #update} with their own
 * {@link Finish}.
 */
record AdamTerms(float sign, float decay, float l2, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                 float eps) {
    static AdamTerms of(float lr, float beta1, float beta2, float eps, float weightDecay, WeightDecay mode,
                        float sign) {
        boolean decoupled = mode == WeightDecay.DECOUPLED;
        // NOTE: PyTorch skips the decay multiply when weight_decay == 0; p * 1f is exact, so no branch is needed.
        float decay = decoupled ? (float) (1.0 - Scalars.decimal(lr) * Scalars.decimal(weightDecay)) : 1f;
        return new AdamTerms(sign, decay, decoupled ? 0f : weightDecay, Scalars.oneMinus(beta1), beta2,
                Scalars.oneMinus(beta2), eps);
    }

    /** The weight after decoupled decay. */
    float decayed(float p) {
        return p * decay;
    }

    /** The gradient the moments see: signed, plus the L2 term of the (decayed) weight. */
    float grad(float grad, float p) {
        return sign * grad + l2 * p;
    }

    float firstMoment(float m, float g) {
        return RefOptim.lerp(m, g, oneMinusBeta1);
    }

    float secondMoment(float v, float g) {
        return v * beta2 + oneMinusBeta2 * g * g;
    }

    /** The rest of one element's update: the new weight from the decayed weight, the gradient and the new moments. */
    @FunctionalInterface
    interface Finish {
        float weight(float p, float g, float m, float v);
    }

    /**
     * One step of parameter p: for every element, the start above, the moments stored, then finish's weight; the
     * moments (first: m, second: v) are committed after step t.
     */
    void update(ParamRef p, Moments moments, long t, Finish finish) {
        Floats w = Floats.weights(p);
        Floats g = Floats.grads(p);
        Floats m = moments.first().openElements();
        Floats v = moments.second().openElements();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = decayed(w.get(i));
            float gi = grad(g.get(i), pi);
            float mi = firstMoment(m.get(i), gi);
            float vi = secondMoment(v.get(i), gi);
            m.set(i, mi);
            v.set(i, vi);
            w.set(i, finish.weight(pi, gi, mi, vi));
        }
        moments.commit(t);
    }
}
