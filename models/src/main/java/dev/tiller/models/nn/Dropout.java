package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/**
 * Inverted dropout with probability p in training mode, identity in eval. Masks are keyed by (seed, stream,
 * counter), the counter advancing by the elements used, so a run's masks are recomputable from its position.
 */
public final class Dropout extends Module {
    private final float p;
    private final long seed;
    private final long stream;
    private long counter;

    public Dropout(float p, long seed, long stream) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.seed = seed;
        this.stream = stream;
    }

    public Variable forward(Variable x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        long start = counter;
        counter += x.value().numel();
        return F.dropout(x, p, true, seed, stream, start);
    }

    /** The mask counter (part of the RNG position a checkpoint saves). */
    public long counter() {
        return counter;
    }

    public void counter(long value) {
        this.counter = value;
    }
}
