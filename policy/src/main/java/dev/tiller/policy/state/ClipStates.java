package dev.tiller.policy.state;

import dev.tiller.optim.clip.AdaptiveGradClip;
import dev.tiller.optim.clip.AutoClip;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.clip.PerTensorNormClip;
import dev.tiller.optim.clip.ValueClip;
import dev.tiller.optim.clip.ZClip;

/**
 * {@link Stateful} views of the gradient clippers and the loss scaler. ZClip (norm statistics, warm-up buffer,
 * counters), AutoClip (the norm history) and the dynamic loss scaler (scale, growth tracker, counters) carry state;
 * the global-norm, per-tensor, value and adaptive (AGC) clippers are records without state. Their snapshots are
 * small heap values, immutable; their sizes count the payload fields.
 */
public final class ClipStates {
    /** The snapshot of a component without state. */
    public enum None { NONE }

    private static final Stateful<None> NONE = new Stateful<>() {
        @Override
        public None snapshot() {
            return None.NONE;
        }

        @Override
        public void restore(None snapshot) {
        }
    };

    private ClipStates() {}

    /** A component that carries no state (a stateless clipper, or no clipper at all). */
    public static Stateful<None> none() {
        return NONE;
    }

    public static Stateful<ZClip.State> of(ZClip clip) {
        return new Stateful<>() {
            @Override
            public ZClip.State snapshot() {
                return clip.state();
            }

            @Override
            public void restore(ZClip.State snapshot) {
                clip.loadState(snapshot);
            }

            @Override
            public long snapshotBytes(ZClip.State snapshot) {
                return 8L * snapshot.warmupNorms().length + 40;
            }
        };
    }

    /** AutoClip's history of norms, oldest first (a fresh array per snapshot, never changed afterwards). */
    public static Stateful<double[]> of(AutoClip clip) {
        return new Stateful<>() {
            @Override
            public double[] snapshot() {
                return clip.history();
            }

            @Override
            public void restore(double[] snapshot) {
                clip.loadHistory(snapshot);
            }

            @Override
            public long snapshotBytes(double[] snapshot) {
                return 8L * snapshot.length;
            }
        };
    }

    public static Stateful<DynamicLossScaler.State> of(DynamicLossScaler scaler) {
        return new Stateful<>() {
            @Override
            public DynamicLossScaler.State snapshot() {
                return scaler.state();
            }

            @Override
            public void restore(DynamicLossScaler.State snapshot) {
                scaler.loadState(snapshot);
            }

            @Override
            public long snapshotBytes(DynamicLossScaler.State snapshot) {
                return 24;
            }
        };
    }

    /**
     * The state of clipper, whatever it is: a ZClip, an AutoClip, a DynamicLossScaler, one of the stateless clippers,
     * or null (no clipper). A lambda such as {@code zclip.with(h)} hides its clipper's state, so it is refused with
     * an error saying to pass the clipper itself.
     */
    public static Stateful<?> forClipper(Object clipper) {
        if (clipper == null || clipper instanceof GlobalNormClip || clipper instanceof PerTensorNormClip
                || clipper instanceof ValueClip || clipper instanceof AdaptiveGradClip) {
            return none();
        }
        if (clipper instanceof ZClip z) {
            return of(z);
        }
        if (clipper instanceof AutoClip a) {
            return of(a);
        }
        if (clipper instanceof DynamicLossScaler s) {
            return of(s);
        }
        throw new IllegalArgumentException("ClipStates: no state adapter for " + clipper.getClass().getName()
                + "; pass the ZClip or AutoClip itself (the GradClipper from with(h) hides its state), or one of"
                + " GlobalNormClip, PerTensorNormClip, ValueClip, AdaptiveGradClip");
    }
}
