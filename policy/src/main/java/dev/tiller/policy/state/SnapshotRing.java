package dev.tiller.policy.state;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;

/**
 * The rollback ring: the newest capacity whole-run snapshots, keyed by step, oldest evicted first. Memory is bounded
 * and reused: a snapshot taken when the ring is full overwrites the evicted one's off-heap copies, and snapshots
 * dropped by {@link #dropAfter} are kept as spares for the next ones, so once the ring has filled no snapshot
 * allocates. At most capacity snapshots (held and spare) exist at any time; {@link #close()} frees them all.
 * Not thread-safe; the training loop owns it.
 */
public final class SnapshotRing implements AutoCloseable {
    private record Entry(long step, RunSnapshot snapshot) {}

    private final int capacity;
    private final Stateful<RunSnapshot> source;
    private final Deque<Entry> held = new ArrayDeque<>();     // oldest first
    private final Deque<RunSnapshot> spares = new ArrayDeque<>();
    private boolean closed;

    /** A ring of at most capacity (>= 0; 0: off) snapshots of source. */
    public SnapshotRing(int capacity, Stateful<RunSnapshot> source) {
        if (capacity < 0) {
            throw new IllegalArgumentException("SnapshotRing: capacity must be >= 0, got " + capacity);
        }
        this.capacity = capacity;
        this.source = source;
    }

    public int capacity() {
        return capacity;
    }

    /** Snapshots held now. */
    public int size() {
        return held.size();
    }

    /**
     * Takes a snapshot of the source now and holds it under step (replacing one held under the same step), evicting
     * the oldest when the ring is full and reusing its memory; returns it (owned by the ring).
     */
    public RunSnapshot take(long step) {
        check();
        if (capacity == 0) {
            throw new IllegalStateException("SnapshotRing: capacity 0, the ring is off");
        }
        RunSnapshot reuse = removeStep(step);
        if (reuse == null) {
            reuse = spares.pollFirst();
        }
        if (reuse == null && held.size() == capacity) {
            reuse = held.pollFirst().snapshot();
        }
        RunSnapshot s = source.snapshotInto(reuse);
        held.addLast(new Entry(step, s));
        return s;
    }

    /**
     * Holds snapshot (taken elsewhere; the ring owns it from now on) under step, replacing one held under the same
     * step and evicting the oldest when full; what leaves the ring is kept as a spare while there is room, else freed.
     */
    public void put(long step, RunSnapshot snapshot) {
        check();
        if (capacity == 0) {
            snapshot.close();
            return;
        }
        RunSnapshot old = removeStep(step);
        if (old != null && old != snapshot) {
            spare(old);
        }
        if (held.size() == capacity) {
            spare(held.pollFirst().snapshot());
        }
        held.addLast(new Entry(step, snapshot));
        while (held.size() + spares.size() > capacity) {
            spares.pollFirst().close();
        }
    }

    /** The snapshot held under step (owned by the ring: valid until evicted or dropped), if any. */
    public Optional<RunSnapshot> get(long step) {
        check();
        for (Entry e : held) {
            if (e.step() == step) {
                return Optional.of(e.snapshot());
            }
        }
        return Optional.empty();
    }

    /** The step of the newest snapshot held at or before step, if any (where a rollback to step can land). */
    public Optional<Long> latestAtOrBefore(long step) {
        Long best = null;
        for (Entry e : held) {
            if (e.step() <= step && (best == null || e.step() > best)) {
                best = e.step();
            }
        }
        return Optional.ofNullable(best);
    }

    /** The steps held, oldest first. */
    public long[] steps() {
        return held.stream().mapToLong(Entry::step).toArray();
    }

    /**
     * Stops holding every snapshot taken after step (e.g. those a rollback to step made stale); their memory is kept
     * for the next snapshots.
     */
    public void dropAfter(long step) {
        check();
        for (Iterator<Entry> it = held.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.step() > step) {
                it.remove();
                spare(e.snapshot());
            }
        }
    }

    /** Bytes held by every snapshot in the ring, spares included. */
    public long bytes() {
        long b = 0;
        for (Entry e : held) {
            b += e.snapshot().bytes();
        }
        for (RunSnapshot s : spares) {
            b += s.bytes();
        }
        return b;
    }

    /** Bytes of one snapshot: the newest held, else what one of the source's current state would take. */
    public long bytesPerSnapshot() {
        return held.isEmpty() ? source.stateBytes() : held.peekLast().snapshot().bytes();
    }

    /** The ring's memory bound, for the run's log: "rollback ring: 3 snapshots x 12.3 MB = 36.9 MB". */
    public String describe() {
        if (capacity == 0) {
            return "rollback ring: off";
        }
        long one = bytesPerSnapshot();
        return String.format(Locale.ROOT, "rollback ring: %d snapshot%s x %s = %s", capacity, capacity == 1 ? "" : "s",
                megabytes(one), megabytes(one * capacity));
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private RunSnapshot removeStep(long step) {
        for (Iterator<Entry> it = held.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.step() == step) {
                it.remove();
                return e.snapshot();
            }
        }
        return null;
    }

    private void spare(RunSnapshot s) {
        if (held.size() + spares.size() < capacity) {
            spares.addLast(s);
        } else {
            s.close();
        }
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("SnapshotRing: used after close()");
        }
    }

    /** Frees every snapshot, held and spare; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        held.forEach(e -> e.snapshot().close());
        spares.forEach(RunSnapshot::close);
        held.clear();
        spares.clear();
    }
}
