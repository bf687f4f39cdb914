package dev.tiller.policy.regime;

import java.util.Locale;

/**
 * The hyperparameters the regime may steer. Each knob's effective value is the recipe's pure schedule at step t
 * combined with the regime's value for the knob (see {@link KnobSpec}); metrics read knobs by {@link #key()}.
 */
public enum Knob {
    /** Multiplies the scheduled learning rate. */
    LR,
    /** Multiplies (1 - beta1): above 1 means less momentum, below 1 more. */
    MOMENTUM,
    /** Multiplies the scheduled weight decay. */
    WEIGHT_DECAY,
    /** Multiplies the clip threshold. */
    CLIP,
    /** Multiplies the recipe's micro-batches per step (the batch through accumulation); rounded to an integer >= 1. */
    MICRO_BATCHES,
    /** Strength of the pull toward anchor weights per step: theta -= anchor * (theta - theta_anchor); 0 is off. */
    ANCHOR;

    /** The knob's name in JSON and metrics: "lr", "momentum", "weight_decay", "clip", "micro_batches", "anchor". */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The knob whose key is key, or an error listing the keys. */
    public static Knob of(String key) {
        for (Knob k : values()) {
            if (k.key().equals(key)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown knob '" + key + "'; knobs are lr, momentum, weight_decay, clip,"
                + " micro_batches, anchor");
    }
}
