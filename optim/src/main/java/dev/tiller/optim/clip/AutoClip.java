package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;

import java.util.Arrays;
import java.util.List;

/**
 * AutoClip (Seetharaman et al. 2020, arXiv 2007.14469; reference pseeth/autoclip): clip the global L2 gradient norm
 * at a percentile of the history of norms seen so far.
 * <pre>
 *   paper form (includeCurrent):  history += g_t;  c = percentile(history, p);  clip_grad_norm_(c)
 *   QuantileClip form:            c = percentile(history, p) (+inf if empty);  clip_grad_norm_(c);  history += g_t
 * </pre>
 * with PyTorch's clip_grad_norm_ multiplier min(1, c / (g_t + 1e-6)). The percentile interpolates linearly between
 * order statistics like {@code numpy.percentile} / {@code torch.quantile} (the default 'linear' method: position
 * q (n - 1) in the sorted history). With historyLength > 0 only the most recent norms are kept.
 * A non-finite norm changes nothing: grads untouched, not added to the history; the report says {@code finite=false}.
 */
public final class AutoClip {
    private double[] history = new double[16];   // ring buffer of the most recent norms, oldest at `start`
    private int start;
    private int size;

    /** Clips params' gradients in place with hyperparameters h. */
    public ClipReport clip(List<ParamRef> params, AutoClipHyper h) {
        float norm = Norms.totalNorm(params, 2.0);
        if (!Float.isFinite(norm)) {
            return ClipReport.nonFinite(norm, size == 0 ? Double.POSITIVE_INFINITY : percentile(h.percentile()));
        }
        if (h.includeCurrent()) {
            append(norm, h.historyLength());
        }
        double c = size == 0 ? Double.POSITIVE_INFINITY : percentile(h.percentile());
        ClipReport r = new ClipReport(norm, c, 1.0, false, true);
        if (c != Double.POSITIVE_INFINITY) {
            ClipReport applied = Norms.clipToNorm(params, norm, (float) c);   // PyTorch takes the limit as float32
            r = new ClipReport(norm, c, applied.scale(), applied.clipped(), true);
        }
        if (!h.includeCurrent()) {
            append(norm, h.historyLength());
        }
        return r;
    }

    /** A clipper bound to fixed hyperparameters. */
    public GradClipper with(AutoClipHyper h) {
        return params -> clip(params, h);
    }

    /** The norms held, oldest first. */
    public double[] history() {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = history[(start + i) % history.length];
        }
        return out;
    }

    /** Replaces the history (a checkpoint's {@link #history()}); values must be finite and >= 0. */
    public void loadHistory(double[] norms) {
        for (int i = 0; i < norms.length; i++) {
            if (!(norms[i] >= 0) || Double.isInfinite(norms[i])) {
                throw new IllegalArgumentException("AutoClip: saved history[" + i + "] = " + norms[i]
                        + " is not a norm; allowed range [0, +inf), finite");
            }
        }
        history = Arrays.copyOf(norms, Math.max(16, norms.length));
        start = 0;
        size = norms.length;
    }

    private void append(double g, int limit) {
        if (limit > 0) {
            while (size > limit - 1 && size > 0) {    // drop the oldest (also after a shorter limit was set)
                start = (start + 1) % history.length;
                size--;
            }
        }
        if (size == history.length) {
            double[] grown = new double[history.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = history[(start + i) % history.length];
            }
            history = grown;
            start = 0;
        }
        history[(start + size) % history.length] = g;
        size++;
    }

    /** numpy.percentile(history, p), method 'linear'. */
    private double percentile(double p) {
        double[] s = history();
        Arrays.sort(s);
        double pos = p / 100.0 * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        double t = pos - lo;
        double a = s[lo];
        double b = s[hi];
        // numpy's _lerp: from the nearer end, so t = 1 gives b exactly
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
    }
}
