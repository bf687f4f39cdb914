package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Adafactor (Shazeer and Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost") with the
 * semantics of torch.optim.Adafactor in PyTorch 2.11. A parameter of rank >= 2 keeps factored second moments over
 * its last two dims, R: (..., m, 1) "row_var" and C: (..., 1, n) "col_var"; a vector or scalar keeps a full
 * "variance" V. With G the gradient (negated when maximize) and tau = beta2Decay:
 * <pre>
 *   1 - beta2_t = t^tau;   rho_t = min(lr, 1 / sqrt(t));   alpha_t = max(eps2, RMS(theta_{t-1})) * rho_t
 *   theta = theta * (1 - lr * weightDecay)
 *   rank >= 2:  R = lerp(R, mean_n(G^2), t^tau);  C = lerp(C, mean_m(G^2), t^tau)
 *               V^ = R C / max(mean_m(R), eps1)                  (outer product per batch entry)
 *   else:       V^ = V = lerp(V, G^2, t^tau)
 *   U = G / sqrt(max(V^, eps1^2));   U^ = U / max(1, RMS(U) / d)
 *   theta = theta - alpha_t * U^
 * </pre>
 * PyTorch's deviations from the paper are kept: the means (not sums) of G^2, eps1 applied to the estimate rather
 * than to G^2, lr as the cap on rho_t and as the decay rate. Reductions are summed in double, elementwise math is
 * float32, and lerp uses PyTorch's two-sided formula, so results agree with PyTorch to float32 rounding.
 */
public final class Adafactor extends AbstractOptimizer<AdafactorHyper, Adafactor.AdafactorState> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** A parameter's second-moment state: factored for rank &gt;= 2, full otherwise. */
    sealed interface AdafactorState permits Factored, Full {}

    /** "row_var" (..., m, 1) and "col_var" (..., 1, n). */
    record Factored(StateSlot rowVar, StateSlot colVar) implements AdafactorState {}

    /** "variance", shaped like the parameter. */
    record Full(StateSlot variance) implements AdafactorState {}

    public Adafactor(List<ParamGroup<AdafactorHyper>> groups, Map<String, StatePrecision> precisions,
                     Allocator alloc, long seed) {
        super("Adafactor", groups, precisions, alloc, seed);
        declareState(p -> {
            int[] s = p.value().shape();
            if (s.length < 2) {
                return new Full(slot("variance", p));
            }
            int[] row = s.clone();
            row[s.length - 1] = 1;
            int[] col = s.clone();
            col[s.length - 2] = 1;
            return new Factored(slot("row_var", p, row), slot("col_var", p, col));
        });
    }

    /** One group, float32 state. */
    public Adafactor(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    /** PyTorch's Tensor.lerp: start + w (end - start) for |w| < 0.5, else end - (end - start)(1 - w). */
    static float lerp(float start, float end, float w) {
        return Math.abs(w) < 0.5f ? start + w * (end - start) : end - (end - start) * (1f - w);
    }

    @Override
    protected void update(ParamRef p, AdafactorState state, AdafactorHyper h, long t) {
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long n = p.numel();
        float sign = h.maximize() ? -1f : 1f;
        double tt = (double) t;
        float oneMinusBeta2 = (float) StrictMath.pow(tt, h.beta2Decay());
        double rho = Math.min(h.lr(), 1.0 / Math.sqrt(tt));
        double sumSq = 0;
        for (long i = 0; i < n; i++) {
            double wi = w.getAtIndex(F32, wo + i);
            sumSq += wi * wi;
        }
        double rms = n == 0 ? 0 : (float) Math.sqrt(sumSq) / Math.sqrt((double) n);
        double alpha = Math.max(h.eps2(), rms) * rho;
        if (h.weightDecay() != 0f) {
            float decay = (float) (1.0 - (double) h.lr() * h.weightDecay());
            for (long i = 0; i < n; i++) {
                w.setAtIndex(F32, wo + i, w.getAtIndex(F32, wo + i) * decay);
            }
        }
        float eps1Sq = (float) ((double) h.eps1() * h.eps1());
        if (state instanceof Factored f) {
            updateFactored(p, f, h, t, sign, oneMinusBeta2, eps1Sq, alpha);
            return;
        }
        StateSlot slot = ((Full) state).variance();
        Tensor vt = slot.open();
        MemorySegment v = vt.segment();
        long vo = vt.offset();
        for (long i = 0; i < n; i++) {
            float g = sign * gs.getAtIndex(F32, go + i);
            v.setAtIndex(F32, vo + i, lerp(v.getAtIndex(F32, vo + i), g * g, oneMinusBeta2));
        }
        // U = G / sqrt(max(V, eps1^2)); first pass for RMS(U), second pass applies it
        double uSq = 0;
        for (long i = 0; i < n; i++) {
            float u = sign * gs.getAtIndex(F32, go + i) * rsqrt(Math.max(v.getAtIndex(F32, vo + i), eps1Sq));
            uSq += (double) u * u;
        }
        float step = stepScale(alpha, uSq, n, h.d());
        for (long i = 0; i < n; i++) {
            float u = sign * gs.getAtIndex(F32, go + i) * rsqrt(Math.max(v.getAtIndex(F32, vo + i), eps1Sq));
            w.setAtIndex(F32, wo + i, w.getAtIndex(F32, wo + i) + step * u);
        }
        slot.commit(t);
    }

    private void updateFactored(ParamRef p, Factored state, AdafactorHyper h, long t, float sign,
                                float oneMinusBeta2, float eps1Sq, double alpha) {
        int[] shape = p.value().shape();
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        int m = shape[shape.length - 2];
        int cols = shape[shape.length - 1];
        long n = p.numel();
        long batches = m == 0 || cols == 0 ? 0 : n / ((long) m * cols);
        StateSlot rowSlot = state.rowVar();
        StateSlot colSlot = state.colVar();
        Tensor rt = rowSlot.open();
        Tensor ct = colSlot.open();
        MemorySegment r = rt.segment();
        MemorySegment c = ct.segment();
        long ro = rt.offset();
        long co = ct.offset();
        double uSq = 0;
        for (long b = 0; b < batches; b++) {
            long gb = go + b * m * cols;
            // R = lerp(R, mean over the last dim of G^2, 1 - beta2_t); torch forms it as ||G_i,:||^2 / n
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    double g = gs.getAtIndex(F32, gb + (long) i * cols + j);
                    s += g * g;
                }
                float norm = (float) Math.sqrt(s);
                long ri = ro + b * m + i;
                r.setAtIndex(F32, ri, lerp(r.getAtIndex(F32, ri), norm * norm / cols, oneMinusBeta2));
            }
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int i = 0; i < m; i++) {
                    double g = gs.getAtIndex(F32, gb + (long) i * cols + j);
                    s += g * g;
                }
                float norm = (float) Math.sqrt(s);
                long cj = co + b * cols + j;
                c.setAtIndex(F32, cj, lerp(c.getAtIndex(F32, cj), norm * norm / m, oneMinusBeta2));
            }
            uSq += factoredPass(gs, gb, r, ro + b * m, c, co + b * cols, m, cols, sign, h.eps1(), eps1Sq,
                    null, 0, 0f);
        }
        float step = stepScale(alpha, uSq, n, h.d());
        for (long b = 0; b < batches; b++) {
            factoredPass(gs, go + b * m * cols, r, ro + b * m, c, co + b * cols, m, cols, sign, h.eps1(), eps1Sq,
                    w, wo + b * m * cols, step);
        }
        rowSlot.commit(t);
        colSlot.commit(t);
    }

    /**
     * One (m, n) slice: U = G / sqrt(max(R C / max(mean(R), eps1), eps1^2)). Returns sum(U^2); when w is not
     * null, also adds step * U to it.
     */
    private static double factoredPass(MemorySegment gs, long gb, MemorySegment r, long rb, MemorySegment c,
                                       long cb, int m, int cols, float sign, float eps1, float eps1Sq,
                                       MemorySegment w, long wb, float step) {
        double rSum = 0;
        for (int i = 0; i < m; i++) {
            rSum += r.getAtIndex(F32, rb + i);
        }
        float rMean = Math.max((float) (rSum / m), eps1);
        double uSq = 0;
        for (int i = 0; i < m; i++) {
            float ri = r.getAtIndex(F32, rb + i);
            for (int j = 0; j < cols; j++) {
                float vHat = ri * c.getAtIndex(F32, cb + j) / rMean;
                long k = (long) i * cols + j;
                float u = sign * gs.getAtIndex(F32, gb + k) * rsqrt(Math.max(vHat, eps1Sq));
                if (w == null) {
                    uSq += (double) u * u;
                } else {
                    w.setAtIndex(F32, wb + k, w.getAtIndex(F32, wb + k) + step * u);
                }
            }
        }
        return uSq;
    }

    /** -alpha / max(1, RMS(U) / d), the scale applied to U. */
    private static float stepScale(double alpha, double uSq, long n, float d) {
        double rmsU = n == 0 ? 0 : (float) Math.sqrt(uSq) / (Math.sqrt((double) n) * d);
        return (float) (-alpha / Math.max(1.0, rmsU));
    }

    private static float rsqrt(float x) {
        return (float) (1.0 / Math.sqrt(x));
    }
}
