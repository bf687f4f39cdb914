package dev.tiller.policy;

import dev.tiller.optim.AdamWHdHyper;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ProdigyHyper;
import dev.tiller.optim.ScheduleFreeAdamWHyper;
import dev.tiller.optim.SgdHyper;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the regime's knobs reach one optimizer's hyperparameter record, without reflection: the record the update
 * uses is the scheduled record at step t with lr x s_lr, beta1 (or SGD momentum) = 1 - (1 - beta1) x s_momentum
 * (kept in [0, 1)), weight decay x s_wd. A knob at exactly 1 leaves its field bit for bit as scheduled, so the
 * static regime trains the same bits as a trainer without knobs.
 *
 * @param <H> the optimizer's hyperparameter record
 */
public interface KnobBinding<H extends Record> {
    /** The record the update uses: scheduled's values under knobs. */
    H bind(H scheduled, Knobs knobs);

    /** h with its learning rate multiplied by factor (fault injection). */
    H scaleLr(H h, double factor);

    /**
     * The optimizer's effective values in h by knob key ({@link Knob#key()}): "lr", "momentum" (beta1 or SGD
     * momentum), "weight_decay"; as the record holds them (float32).
     */
    Map<String, Float> effective(H h);

    /** For an optimizer without knobs: the scheduled record as it is, no effective values, no lr faults. */
    static <H extends Record> KnobBinding<H> none() {
        return new KnobBinding<>() {
            @Override
            public H bind(H scheduled, Knobs knobs) {
                return scheduled;
            }

            @Override
            public H scaleLr(H h, double factor) {
                throw new UnsupportedOperationException("this optimizer has no learning-rate binding, so an lr-spike"
                        + " cannot reach it; bind it with one of KnobBinding's"
                        + " optimizer bindings");
            }

            @Override
            public Map<String, Float> effective(H h) {
                return Map.of();
            }
        };
    }

    /** AdamW: lr, beta1 and decoupled weight decay. */
    static KnobBinding<AdamWHyper> adamW() {
        return new KnobBinding<>() {
            @Override
            public AdamWHyper bind(AdamWHyper h, Knobs k) {
                return new AdamWHyper(scaled(h.lr(), k.get(Knob.LR)), momentum(h.beta1(), k.get(Knob.MOMENTUM)),
                        h.beta2(), h.eps(), scaled(h.weightDecay(), k.get(Knob.WEIGHT_DECAY)), h.amsgrad(),
                        h.maximize());
            }

            @Override
            public AdamWHyper scaleLr(AdamWHyper h, double factor) {
                return h.withLr(scaled(h.lr(), factor));
            }

            @Override
            public Map<String, Float> effective(AdamWHyper h) {
                return values(h.lr(), h.beta1(), h.weightDecay());
            }
        };
    }

    /**
     * Schedule-Free AdamW: lr, b1 (the interpolation weight y = b1 x + (1 - b1) z, its momentum) and decoupled weight
     * decay. b1 stays above 0 (x is recovered by dividing by it); the presets' momentum bounds keep it at or above
     * 1 - 2 (1 - b1).
     */
    static KnobBinding<ScheduleFreeAdamWHyper> scheduleFreeAdamW() {
        return new KnobBinding<>() {
            @Override
            public ScheduleFreeAdamWHyper bind(ScheduleFreeAdamWHyper h, Knobs k) {
                double m = k.get(Knob.MOMENTUM);
                float b1 = m == 1.0 ? h.b1() : Math.max(Float.MIN_NORMAL, momentum(h.b1(), m));
                return new ScheduleFreeAdamWHyper(scaled(h.lr(), k.get(Knob.LR)), h.warmupSteps(), b1, h.b2(), h.eps(),
                        scaled(h.weightDecay(), k.get(Knob.WEIGHT_DECAY)), h.weightLrPower());
            }

            @Override
            public ScheduleFreeAdamWHyper scaleLr(ScheduleFreeAdamWHyper h, double factor) {
                return h.withLr(scaled(h.lr(), factor));
            }

            @Override
            public Map<String, Float> effective(ScheduleFreeAdamWHyper h) {
                return values(h.lr(), h.b1(), h.weightDecay());
            }
        };
    }

    /**
     * Prodigy: lr (the factor on the estimated step size d, which is what a schedule or knob moves), beta1 and
     * decoupled weight decay; the effective "lr" is that factor, d itself is the optimizer's state.
     */
    static KnobBinding<ProdigyHyper> prodigy() {
        return new KnobBinding<>() {
            @Override
            public ProdigyHyper bind(ProdigyHyper h, Knobs k) {
                return new ProdigyHyper(scaled(h.lr(), k.get(Knob.LR)), momentum(h.beta1(), k.get(Knob.MOMENTUM)),
                        h.beta2(), h.beta3(), h.eps(), h.estimLr0(), h.estimLrCoef(),
                        scaled(h.weightDecay(), k.get(Knob.WEIGHT_DECAY)), h.safeguardWarmup(), h.biasCorrection());
            }

            @Override
            public ProdigyHyper scaleLr(ProdigyHyper h, double factor) {
                return h.withLr(scaled(h.lr(), factor));
            }

            @Override
            public Map<String, Float> effective(ProdigyHyper h) {
                return values(h.lr(), h.beta1(), h.weightDecay());
            }
        };
    }

    /** Hypergradient AdamW: lr (the scheduled rate its learned multiplier scales), beta1 and weight decay. */
    static KnobBinding<AdamWHdHyper> adamWHd() {
        return new KnobBinding<>() {
            @Override
            public AdamWHdHyper bind(AdamWHdHyper h, Knobs k) {
                return new AdamWHdHyper(scaled(h.lr(), k.get(Knob.LR)), momentum(h.beta1(), k.get(Knob.MOMENTUM)),
                        h.beta2(), h.eps(), scaled(h.weightDecay(), k.get(Knob.WEIGHT_DECAY)), h.hypergradLr());
            }

            @Override
            public AdamWHdHyper scaleLr(AdamWHdHyper h, double factor) {
                return h.withLr(scaled(h.lr(), factor));
            }

            @Override
            public Map<String, Float> effective(AdamWHdHyper h) {
                return values(h.lr(), h.beta1(), h.weightDecay());
            }
        };
    }

    /** SGD: lr, momentum and (L2) weight decay. */
    static KnobBinding<SgdHyper> sgd() {
        return new KnobBinding<>() {
            @Override
            public SgdHyper bind(SgdHyper h, Knobs k) {
                float m = momentum(h.momentum(), k.get(Knob.MOMENTUM));
                boolean nesterov = h.nesterov() && m > 0f;      // Nesterov needs momentum; none left means plain SGD
                return new SgdHyper(scaled(h.lr(), k.get(Knob.LR)), m, h.dampening(),
                        scaled(h.weightDecay(), k.get(Knob.WEIGHT_DECAY)), nesterov, h.maximize());
            }

            @Override
            public SgdHyper scaleLr(SgdHyper h, double factor) {
                return h.withLr(scaled(h.lr(), factor));
            }

            @Override
            public Map<String, Float> effective(SgdHyper h) {
                return values(h.lr(), h.momentum(), h.weightDecay());
            }
        };
    }

    /** v x scale in float32; exactly v when scale is 1. */
    static float scaled(float v, double scale) {
        return scale == 1.0 ? v : (float) (v * scale);
    }

    /**
     * 1 - (1 - beta) x scale, kept in [0, 1): below 1 so the record stays valid, and exactly beta when scale is 1.
     */
    static float momentum(float beta, double scale) {
        if (scale == 1.0) {
            return beta;
        }
        double b = 1.0 - (1.0 - beta) * scale;
        return (float) Math.min(Math.nextDown(1.0f), Math.max(0.0, b));
    }

    private static Map<String, Float> values(float lr, float momentum, float weightDecay) {
        Map<String, Float> m = new LinkedHashMap<>();
        m.put(Knob.LR.key(), lr);
        m.put(Knob.MOMENTUM.key(), momentum);
        m.put(Knob.WEIGHT_DECAY.key(), weightDecay);
        return m;
    }
}
