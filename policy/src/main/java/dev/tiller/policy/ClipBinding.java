package dev.tiller.policy;

import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.ClipReport;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.optim.clip.Norms;

import java.util.List;

/**
 * The clip step as the trainer drives it: first the pre-clip gradient norm (a signal the regime reads before it
 * decides), then clipping at the recipe's threshold x the regime's clip scale. Global-norm clipping measures once and
 * clips with that measurement, bit for bit what {@link GlobalNormClip#clip} does; any other clipper keeps its own
 * threshold rule (the clip knob does not reach it) and the trainer measures the global L2 norm beside it.
 */
public interface ClipBinding {
    /** The gradient norm before clipping (NaN or infinite when a gradient is); gradients untouched. */
    float measure(List<ParamRef> params);

    /** Clips in place given measure's result; null when there is no clipper. */
    ClipReport clip(List<ParamRef> params, float measured, double scale);

    /** The threshold clip would use at scale (NaN when the clipper has no single scalable threshold). */
    float threshold(double scale);

    /** Global-norm clipping whose maxNorm the clip knob scales. */
    static ClipBinding globalNorm(GlobalNormClip base) {
        return new ClipBinding() {
            @Override
            public float measure(List<ParamRef> params) {
                return Norms.totalNorm(params, base.normType());
            }

            @Override
            public ClipReport clip(List<ParamRef> params, float measured, double scale) {
                GlobalNormClip c = scale == 1.0 ? base : base.withMaxNorm(KnobBinding.scaled(base.maxNorm(), scale));
                return c.clipMeasured(params, measured);
            }

            @Override
            public float threshold(double scale) {
                return KnobBinding.scaled(base.maxNorm(), scale);
            }
        };
    }

    /** clipper as it is (the clip knob does not apply); global-norm clipping gets its scalable binding. */
    static ClipBinding of(GradClipper clipper) {
        if (clipper == null) {
            return none();
        }
        if (clipper instanceof GlobalNormClip g) {
            return globalNorm(g);
        }
        return new ClipBinding() {
            @Override
            public float measure(List<ParamRef> params) {
                return Norms.totalNorm(params, 2.0);
            }

            @Override
            public ClipReport clip(List<ParamRef> params, float measured, double scale) {
                return clipper.clip(params);
            }

            @Override
            public float threshold(double scale) {
                return Float.NaN;
            }
        };
    }

    /** No clipping; the norm is still measured, since the regime reads it every step. */
    static ClipBinding none() {
        return new ClipBinding() {
            @Override
            public float measure(List<ParamRef> params) {
                return Norms.totalNorm(params, 2.0);
            }

            @Override
            public ClipReport clip(List<ParamRef> params, float measured, double scale) {
                return null;
            }

            @Override
            public float threshold(double scale) {
                return Float.NaN;
            }
        };
    }
}
