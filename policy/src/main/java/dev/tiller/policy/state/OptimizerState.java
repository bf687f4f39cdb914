package dev.tiller.policy.state;

import dev.tiller.optim.Optimizer;

/**
 * An optimizer's state as a {@link Stateful}: bitwise off-heap copies of every tensor of {@link Optimizer#state()}
 * (moments, accumulators, quantisation scales, global scalars kept as tensors) plus the step count, restored with
 * {@link Optimizer#loadState}, which checks every name, dtype and shape.
 */
public final class OptimizerState implements Stateful<OptimizerState.Snapshot> {
    /** The saved tensors and step count; close frees the copies. */
    public record Snapshot(TensorSnapshot tensors, long stepCount) implements AutoCloseable {
        @Override
        public void close() {
            tensors.close();
        }
    }

    private final Optimizer<?> optimizer;

    public OptimizerState(Optimizer<?> optimizer) {
        this.optimizer = optimizer;
    }

    @Override
    public Snapshot snapshot() {
        return new Snapshot(TensorSnapshot.of(optimizer.state()), optimizer.stepCount());
    }

    @Override
    public Snapshot snapshotInto(Snapshot reuse) {
        return new Snapshot(TensorSnapshot.of(optimizer.state(), reuse == null ? null : reuse.tensors()),
                optimizer.stepCount());
    }

    @Override
    public void restore(Snapshot snapshot) {
        optimizer.loadState(snapshot.tensors().tensors(), snapshot.stepCount());
    }

    @Override
    public long snapshotBytes(Snapshot snapshot) {
        return snapshot.tensors().bytes();
    }

    @Override
    public long stateBytes() {
        return TensorSnapshot.bytesOf(optimizer.state());
    }
}
