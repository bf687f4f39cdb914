package dev.tiller.policy;

import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.state.RunSnapshot;
import dev.tiller.policy.state.RunSnapshotter;
import dev.tiller.policy.state.SnapshotRing;
import dev.tiller.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The trainer's rollback ring over a {@link SnapshotRing}: snapshots hold parameters, optimizer state, the clipper's
 * and loss scaler's state and module buffers and RNG counters; a restore brings those back and leaves the data cursor
 * and the step counter moving forward (the regime restores its own state when it decides a rollback).
 */
final class RingStore implements RollbackStore {
    private final RunSnapshotter source;
    private final SnapshotRing ring;

    private RingStore(RunSnapshotter source, int capacity) {
        this.source = source;
        this.ring = new SnapshotRing(capacity, source);
    }

    /** A ring of spec.capacity() snapshots of s's components, or none when the capacity is 0. */
    static RollbackStore of(TrainState<?> s, RegimeSpec.RingSpec spec) {
        if (spec.capacity() == 0) {
            return RollbackStore.none();
        }
        RunSnapshotter source = RunSnapshotter.builder(s.task().model(), s.params(), s.optimizer())
                .clip(s.clipper()).scaler(s.lossScaler()).cursor(s.dataCursor()).build();
        return new RingStore(source, spec.capacity());
    }

    @Override
    public void put(long step) {
        ring.take(step);
    }

    @Override
    public boolean restore(long step) {
        Optional<RunSnapshot> snap = ring.get(step);
        snap.ifPresent(source::rollback);
        return snap.isPresent();
    }

    @Override
    public long bytes() {
        return ring.bytes();
    }

    @Override
    public Map<String, Tensor> newestParameters() {
        long[] steps = ring.steps();
        if (steps.length == 0) {
            return Map.of();
        }
        long newest = steps[0];
        for (long v : steps) {
            newest = Math.max(newest, v);
        }
        return ring.get(newest).map(r -> r.parameters().tensors()).orElse(Map.of());
    }

    @Override
    public long[] heldSteps() {
        return ring.steps();
    }

    @Override
    public RunSnapshot held(long step) {
        return ring.get(step).orElseThrow(() -> new IllegalArgumentException("no snapshot is held under step "
                + step + " (held: " + Arrays.toString(ring.steps()) + ")"));
    }

    @Override
    public String describe() {
        return ring.describe();
    }

    @Override
    public void close() {
        ring.close();
    }
}
