package dev.tiller.models.nn;

import dev.tiller.tensor.Tensor;

/**
 * Parameter initialisation with PyTorch's defaults, every draw keyed by (seed, stream, index) through Philox so a
 * model's start is reproducible and independent of construction order. Streams are handed out by an {@link Init}
 * instance, one per parameter, in registration order. A scale-aware hook (muP-style rules) can replace the
 * standard deviations later by wrapping these methods.
 */
public final class Init {
    private final long seed;
    private long nextStream;

    public Init(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** U(-bound, bound): nn.Linear / nn.Conv2d weights and biases use bound = 1/sqrt(fan_in). */
    public Tensor uniform(float bound, int... shape) {
        return Tensor.uniform(seed, nextStream++, -bound, bound, shape);
    }

    /** N(0, std^2): nn.Embedding uses std = 1. */
    public Tensor normal(float std, int... shape) {
        return Tensor.normal(seed, nextStream++, 0f, std, shape);
    }

    /** A constant (norm weights 1, biases 0); consumes no stream. */
    public Tensor constant(float value, int... shape) {
        return Tensor.full(value, shape);
    }
}
