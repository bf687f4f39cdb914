package dev.tiller.policy.state;

import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.task.GraphTask;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rollback ring: FIFO eviction by step, bounded and reported memory, recycled copies, freeing on close. */
class SnapshotRingTest {
    private final GraphTask task = new GraphTask(GraphDataset.stochasticBlockModel(2, 40, 2, 0.3, 0.05, 5, 0.5), 6, 2,
            2);
    private final List<ParamRef> params = Trainer.paramRefs(task);
    private final AdamW optimizer = new AdamW(params);
    private final RunSnapshotter snapshotter = RunSnapshotter.builder(task.model(), params, optimizer).build();
    /** Parameters, then AdamW's two float32 moments per parameter; the GCN has no buffers and no dropout. */
    private final long oneSnapshot = 3L * Float.BYTES * task.model().parameterCount();

    /** Sets every parameter element to value, so each snapshot is recognisable. */
    private void mark(float value) {
        for (ParamRef p : params) {
            p.value().fill(value);
        }
    }

    private static boolean holds(RunSnapshot s, float value) {
        for (var t : s.parameters().tensors().values()) {
            for (float v : t.toFloatArray()) {
                if (v != value) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void theOldestSnapshotIsEvictedAndItsMemoryHoldsTheNewest() {
        try (SnapshotRing ring = new SnapshotRing(3, snapshotter)) {
            TensorSnapshot first = null;
            for (long step : new long[] {10, 20, 30}) {
                mark(step);
                RunSnapshot s = ring.take(step);
                first = first == null ? s.parameters() : first;
            }
            assertArrayEquals(new long[] {10, 20, 30}, ring.steps());
            mark(40);
            RunSnapshot newest = ring.take(40);
            assertArrayEquals(new long[] {20, 30, 40}, ring.steps());
            assertTrue(ring.get(10).isEmpty());
            assertSame(first, newest.parameters(), "the evicted snapshot's copies are reused, not reallocated");
            assertTrue(holds(newest, 40f));
            assertTrue(holds(ring.get(20).orElseThrow(), 20f));
            assertTrue(holds(ring.get(30).orElseThrow(), 30f));
            assertEquals(3, ring.size());
            assertEquals(30L, ring.latestAtOrBefore(39).orElseThrow());
            assertTrue(ring.latestAtOrBefore(19).isEmpty());
        }
    }

    @Test
    void restoringFromTheRingPutsTheParametersBack() {
        try (SnapshotRing ring = new SnapshotRing(2, snapshotter)) {
            mark(1);
            ring.take(1);
            mark(2);
            ring.take(2);
            mark(3);
            snapshotter.restore(ring.get(1).orElseThrow());
            for (ParamRef p : params) {
                for (float v : p.value().toFloatArray()) {
                    assertEquals(1f, v);
                }
            }
        }
    }

    @Test
    void memoryIsBoundedByCapacityAndReported() {
        try (SnapshotRing ring = new SnapshotRing(3, snapshotter)) {
            String bound = String.format(Locale.ROOT, "rollback ring: 3 snapshots x %.1f MB = %.1f MB",
                    oneSnapshot / 1e6, 3 * oneSnapshot / 1e6);
            assertEquals(bound, ring.describe(), "before any snapshot: the size of the current state");
            assertEquals(0, ring.bytes());
            for (long step = 1; step <= 7; step++) {
                ring.take(step);
                assertEquals(Math.min(step, 3) * oneSnapshot, ring.bytes(), "after step " + step);
            }
            assertEquals(bound, ring.describe());
            assertEquals(oneSnapshot, ring.bytesPerSnapshot());
        }
        assertEquals("rollback ring: off", new SnapshotRing(0, snapshotter).describe());
        assertThrows(IllegalStateException.class, () -> new SnapshotRing(0, snapshotter).take(1));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotRing(-1, snapshotter));
    }

    @Test
    void droppedSnapshotsAreKeptAsSparesForTheNextOnes() {
        try (SnapshotRing ring = new SnapshotRing(3, snapshotter)) {
            ring.take(1);
            ring.take(2);
            TensorSnapshot third = ring.take(3).parameters();
            ring.dropAfter(2);
            assertArrayEquals(new long[] {1, 2}, ring.steps());
            assertEquals(3 * oneSnapshot, ring.bytes(), "a spare still holds its memory");
            mark(4);
            RunSnapshot s = ring.take(4);
            assertSame(third, s.parameters());
            assertTrue(holds(s, 4f));
            assertEquals(3 * oneSnapshot, ring.bytes());
        }
    }

    @Test
    void aStepTakenTwiceIsReplacedInPlace() {
        try (SnapshotRing ring = new SnapshotRing(2, snapshotter)) {
            mark(1);
            TensorSnapshot a = ring.take(5).parameters();
            mark(2);
            RunSnapshot b = ring.take(5);
            assertSame(a, b.parameters());
            assertTrue(holds(b, 2f));
            assertArrayEquals(new long[] {5}, ring.steps());
        }
    }

    @Test
    void putHoldsOutsideSnapshotsWithinTheSameBound() {
        try (SnapshotRing ring = new SnapshotRing(2, snapshotter)) {
            RunSnapshot a = snapshotter.snapshot();
            RunSnapshot b = snapshotter.snapshot();
            RunSnapshot c = snapshotter.snapshot();
            ring.put(1, a);
            ring.put(2, b);
            ring.put(3, c);
            assertArrayEquals(new long[] {2, 3}, ring.steps());
            assertEquals(2 * oneSnapshot, ring.bytes());
            assertThrows(IllegalStateException.class, a::parameters, "the evicted snapshot is freed");
        }
    }

    @Test
    void closeFreesEverySnapshot() {
        SnapshotRing ring = new SnapshotRing(2, snapshotter);
        RunSnapshot s = ring.take(1);
        TensorSnapshot copies = s.parameters();
        ring.close();
        assertThrows(IllegalStateException.class, s::parameters);
        assertThrows(IllegalStateException.class, copies::tensors);
        assertThrows(IllegalStateException.class, () -> ring.get(1));
        ring.close();                        // idempotent
        assertFalse(snapshotter.partNames().isEmpty());
    }
}
