package dev.tiller.optim;

/**
 * The state record of an optimizer with two state tensors per parameter (a first and a second moment: Optax's
 * "mu" and "nu", PyTorch's "exp_avg" and "exp_avg_sq", ...). A step opens each as float32
 * ({@link StateSlot#openElements}) and {@link #commit}s both when done.
 */
record Moments(StateSlot first, StateSlot second) {
    /** Writes both back in their stored precision after step t. */
    void commit(long t) {
        first.commit(t);
        second.commit(t);
    }
}
