package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * Dynamic loss scaling with the update rule of PyTorch's {@code torch.amp.GradScaler} (Micikevicius et al. 2018,
 * "Mixed Precision Training"), except that a skipped step is never silent: {@link #step} returns a
 * {@link LossScaleStep} and {@link #skippedSteps()} counts them.
 * <p>
 * One iteration: multiply the loss by {@link #scale()} before backward; then call {@link #step} (or first
 * {@link #unscale}, e.g. to clip the true gradients, then {@link #step}). Unscaling multiplies every gradient by
 * {@code inv = float(1 / double(scale))} (left as is when inv == 1) and records whether any scaled gradient element
 * was NaN or infinite (checked before the multiplication, as PyTorch does). The optimizer step runs only when none
 * was. The update rule (scale float32, factors double, each product rounded to float32):
 * <pre>
 *   found inf:  scale *= backoffFactor;  tracker = 0
 *   otherwise:  tracker += 1;  if tracker == growthInterval: tracker = 0; scale *= growthFactor (kept only if finite)
 * </pre>
 * Not thread-safe; one scaler per training loop.
 */
public final class DynamicLossScaler {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** The checkpointable state (PyTorch's state_dict: scale, _growth_tracker; plus the counters). */
    public record State(float scale, int growthTracker, long steps, long skippedSteps) {
    }

    private final LossScaleHyper hyper;
    private float scale;
    private int growthTracker;
    private long steps;
    private long skippedSteps;
    private boolean unscaled;                 // unscale() ran since the last step()
    private boolean foundInf;

    public DynamicLossScaler(LossScaleHyper hyper) {
        this.hyper = Objects.requireNonNull(hyper, "GradScaler: hyperparameters needed");
        this.scale = hyper.initScale();
    }

    public LossScaleHyper hyper() {
        return hyper;
    }

    /** The current scale: multiply the loss by it before backward. */
    public float scale() {
        return scale;
    }

    /** loss * scale, in float32. */
    public float scaleLoss(float loss) {
        return loss * scale;
    }

    /** Clean steps in a row since the last growth or backoff. */
    public int growthTracker() {
        return growthTracker;
    }

    /** step() calls so far. */
    public long steps() {
        return steps;
    }

    /** Steps whose optimizer update was skipped because the gradients were not finite. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * Divides the gradients by the scale in place and returns whether any was non-finite. At most once per step
     * (PyTorch's rule: a second unscale would divide twice).
     */
    public boolean unscale(List<ParamRef> params) {
        if (unscaled) {
            throw new IllegalStateException("GradScaler: unscale() was already called since the last step()");
        }
        float inv = (float) (1.0 / (double) scale);
        boolean inf = false;
        for (ParamRef p : params) {
            inf |= unscaleInPlace(p.grad(), inv);
        }
        unscaled = true;
        foundInf = inf;
        return inf;
    }

    /**
     * Finishes one iteration: unscales the gradients unless {@link #unscale} already did, runs optimizerStep when
     * they are all finite (skips it and counts the skip otherwise), then updates the scale.
     */
    public LossScaleStep step(List<ParamRef> params, Runnable optimizerStep) {
        if (!unscaled) {
            unscale(params);
        }
        float used = scale;
        boolean inf = foundInf;
        if (inf) {
            skippedSteps++;
        } else {
            optimizerStep.run();
        }
        update(inf);
        steps++;
        unscaled = false;
        foundInf = false;
        return new LossScaleStep(used, scale, inf, inf, skippedSteps);
    }

    private void update(boolean inf) {
        if (inf) {
            scale = (float) (scale * hyper.backoffFactor());
            growthTracker = 0;
            return;
        }
        int successful = growthTracker + 1;
        if (successful == hyper.growthInterval()) {
            float grown = (float) (scale * hyper.growthFactor());
            if (Float.isFinite(grown)) {
                scale = grown;
            }
            growthTracker = 0;
        } else {
            growthTracker = successful;
        }
    }

    /** g *= inv element-wise (skipped when inv == 1); true when some element was not finite before. */
    private static boolean unscaleInPlace(Tensor g, float inv) {
        MemorySegment s = g.segment();
        long off = g.offset();
        long n = g.numel();
        boolean inf = false;
        for (long i = 0; i < n; i++) {
            float v = s.getAtIndex(F32, off + i);
            inf |= !Float.isFinite(v);
            if (inv != 1f) {
                s.setAtIndex(F32, off + i, v * inv);
            }
        }
        return inf;
    }

    public State state() {
        return new State(scale, growthTracker, steps, skippedSteps);
    }

    /** Restores a saved state; the scale must be finite and > 0, the tracker in [0, growthInterval). */
    public void loadState(State s) {
        if (!Float.isFinite(s.scale()) || !(s.scale() > 0f)) {
            throw new IllegalArgumentException("GradScaler: saved scale = " + s.scale()
                    + " is not allowed; allowed range (0, +inf), finite");
        }
        if (s.growthTracker() < 0 || s.growthTracker() >= hyper.growthInterval()) {
            throw new IllegalArgumentException("GradScaler: saved growthTracker = " + s.growthTracker()
                    + " is not allowed; allowed range [0, " + hyper.growthInterval() + ") for growthInterval "
                    + hyper.growthInterval());
        }
        if (s.steps() < 0 || s.skippedSteps() < 0 || s.skippedSteps() > s.steps()) {
            throw new IllegalArgumentException("GradScaler: saved counts steps = " + s.steps() + ", skippedSteps = "
                    + s.skippedSteps() + " are inconsistent; need 0 <= skippedSteps <= steps");
        }
        scale = s.scale();
        growthTracker = s.growthTracker();
        steps = s.steps();
        skippedSteps = s.skippedSteps();
        unscaled = false;
        foundInf = false;
    }
}
