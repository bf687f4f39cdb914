package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;

import java.util.Arrays;
import java.util.List;

/**
 * ZClip (Kumar, Owen, Ashkboos, Kaplan 2025, arXiv 2504.02507; reference bluorion-com/ZClip): clipping against an
 * EMA of the global L2 gradient norm g_t.
 * <p>
 * Warm-up (the first warmupSteps calls): the norms are collected and, if maxGradNorm is set, the gradients are clipped
 * with PyTorch's clip_grad_norm_(maxGradNorm). When warmupSteps norms are held, mu = their mean and
 * sigma^2 = their population variance. After warm-up, each call:
 * <pre>
 *   sigma = sqrt(sigma^2);  z = (g - mu) / (sigma + eps)
 *   ZSCORE mode, if z > zThresh:   ADAPTIVE_SCALING: thr = (mu + zThresh * sigma / (z / zThresh)) * clipFactor
 *                                  MEAN:             thr = mu
 *   PERCENTILE mode, if g > mu + zThresh * sigma:     thr = mu + zThresh * sigma
 *   c = min(thr if set else g, maxGradNorm if set else +inf)
 *   if g > c: grads *= c / (g + 1e-6)
 *   unless (thr set and skipUpdateOnSpike), with x = thr if set else g:
 *       mu = alpha mu + (1 - alpha) x;   sigma^2 = alpha sigma^2 + (1 - alpha) (x - mu)^2   (the new mu)
 * </pre>
 * The statistics are doubles (the reference keeps Python floats). A non-finite norm changes nothing: grads untouched,
 * not added to the warm-up buffer, no EMA update; the report says {@code finite = false}.
 * Hyperparameters come with every call (a schedule may change them); the statistics are the state, saved and loaded
 * with {@link #state()} / {@link #loadState}.
 */
public final class ZClip {
    /** The checkpointable state: the warm-up buffer (until initialised), mu, sigma^2, and counters. */
    public record State(double[] warmupNorms, boolean initialized, double mean, double var, long steps,
                        long spikes) {
        public State {
            warmupNorms = warmupNorms.clone();
        }

        @Override
        public double[] warmupNorms() {
            return warmupNorms.clone();
        }
    }

    private double[] buffer = new double[8];
    private int buffered;
    private boolean initialized;
    private double mean;
    private double var;
    private long steps;
    private long spikes;

    /** Clips params' gradients in place with hyperparameters h. */
    public ClipReport clip(List<ParamRef> params, ZClipHyper h) {
        float norm = Norms.totalNorm(params, 2.0);
        double maxCap = h.maxGradNorm() == null ? Double.POSITIVE_INFINITY : h.maxGradNorm();
        if (!Float.isFinite(norm)) {
            return ClipReport.nonFinite(norm, maxCap);
        }
        steps++;
        double g = norm;
        if (!initialized) {
            if (buffered == buffer.length) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
            buffer[buffered++] = g;
            if (buffered >= h.warmupSteps()) {
                initialiseStatistics();
            }
            if (h.maxGradNorm() == null) {
                return new ClipReport(g, maxCap, 1.0, false, true);
            }
            return Norms.clipToNorm(params, norm, h.maxGradNorm().floatValue());
        }
        double thr = threshold(g, h);
        boolean spike = !Double.isNaN(thr);
        if (spike) {
            spikes++;
        }
        double c = Math.min(spike ? thr : g, maxCap);
        double coef = g > c ? c / (g + 1e-6) : 1.0;
        if (coef < 1.0) {
            float cf = (float) coef;                // PyTorch multiplies a float32 tensor by the Python float
            for (ParamRef r : params) {
                Norms.scale(r.grad(), cf);
            }
        }
        if (!(spike && h.skipUpdateOnSpike())) {
            double x = spike ? thr : g;
            mean = h.alpha() * mean + (1 - h.alpha()) * x;
            var = h.alpha() * var + (1 - h.alpha()) * (x - mean) * (x - mean);
        }
        return new ClipReport(g, c, coef, coef < 1.0, true);
    }

    /** A clipper bound to fixed hyperparameters. */
    public GradClipper with(ZClipHyper h) {
        return params -> clip(params, h);
    }

    /** The spike threshold for norm g, or NaN when g is no spike. */
    private double threshold(double g, ZClipHyper h) {
        double std = Math.sqrt(var);
        if (h.mode() == ZClipHyper.Mode.PERCENTILE) {
            double thr = mean + h.zThresh() * std;
            return g > thr ? thr : Double.NaN;
        }
        double z = (g - mean) / (std + h.eps());
        if (!(z > h.zThresh())) {
            return Double.NaN;
        }
        if (h.clipOption() == ZClipHyper.ClipOption.MEAN) {
            return mean;
        }
        double eta = z / h.zThresh();               // larger outliers are pulled closer to the mean
        return (mean + h.zThresh() * std / eta) * h.clipFactor();
    }

    private void initialiseStatistics() {
        double s = 0;
        for (int i = 0; i < buffered; i++) {
            s += buffer[i];
        }
        mean = s / buffered;
        double v = 0;
        for (int i = 0; i < buffered; i++) {
            v += (buffer[i] - mean) * (buffer[i] - mean);
        }
        var = v / buffered;
        initialized = true;
        buffered = 0;
    }

    /** True once the warm-up is over. */
    public boolean initialized() {
        return initialized;
    }

    /** The EMA mean of the norm (meaningful once initialised). */
    public double mean() {
        return mean;
    }

    /** The EMA variance of the norm (meaningful once initialised). */
    public double variance() {
        return var;
    }

    /** Calls with finite gradients so far. */
    public long steps() {
        return steps;
    }

    /** Calls after warm-up whose norm was a spike. */
    public long spikes() {
        return spikes;
    }

    public State state() {
        return new State(Arrays.copyOf(buffer, buffered), initialized, mean, var, steps, spikes);
    }

    public void loadState(State s) {
        if (!Double.isFinite(s.mean()) || !(s.var() >= 0) || Double.isInfinite(s.var()) || s.steps() < 0
                || s.spikes() < 0) {
            throw new IllegalArgumentException("ZClip: saved state has mean = " + s.mean() + ", var = " + s.var()
                    + ", steps = " + s.steps() + ", spikes = " + s.spikes() + "; needs a finite mean, a finite var >= 0"
                    + " and counts >= 0");
        }
        double[] b = s.warmupNorms();
        buffer = Arrays.copyOf(b, Math.max(8, b.length));
        buffered = b.length;
        initialized = s.initialized();
        mean = s.mean();
        var = s.var();
        steps = s.steps();
        spikes = s.spikes();
    }
}
