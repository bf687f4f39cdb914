package dev.tiller.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * A pool of off-heap blocks in power-of-two size classes, carved from one shared arena. Released blocks go back
 * to their class's free list and are handed out again, so once a training step has run once (warm-up), later
 * steps of the same shapes reserve no new memory: {@link #reservedBytes()} stops growing. Thread-safe.
 * Blocks are not zeroed on reuse. Closing the pool frees everything it ever reserved.
 */
public final class TensorPool implements Allocator, AutoCloseable {
    private static final int MIN_CLASS = 6;   // 64 bytes
    private static final int MAX_CLASS = 40;  // 1 TiB; larger requests are refused

    private final Arena arena = Arena.ofShared();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<MemorySegment>[] free = new ArrayDeque[MAX_CLASS + 1];
    private long reservedBytes;
    private long reservations;
    private long reuses;
    private long limit = Long.MAX_VALUE;
    private boolean closed;

    public TensorPool() {
        for (int i = 0; i <= MAX_CLASS; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    private static int sizeClass(long bytes) {
        int c = 64 - Long.numberOfLeadingZeros(Math.max(bytes, 1) - 1);
        return Math.max(c, MIN_CLASS);
    }

    @Override
    public synchronized MemorySegment allocate(long bytes) {
        if (closed) {
            throw new IllegalStateException("TensorPool is closed; allocate from an open pool");
        }
        int c = sizeClass(bytes);
        if (c > MAX_CLASS) {
            throw new IllegalArgumentException("TensorPool: request of " + bytes + " bytes exceeds the 1 TiB limit");
        }
        MemorySegment block = free[c].pollLast();
        if (block != null) {
            reuses++;
        } else {
            if (reservedBytes + (1L << c) > limit) {
                throw new OffHeapLimitException(reservedBytes + (1L << c), limit);
            }
            block = arena.allocate(1L << c, 64);
            reservedBytes += 1L << c;
            reservations++;
        }
        return block;   // the whole class-sized block: at least bytes long, and release() can find its class
    }

    @Override
    public synchronized void release(MemorySegment segment) {
        if (closed) {
            return;
        }
        free[sizeClass(segment.byteSize())].addLast(segment);
    }

    /**
     * Refuses to reserve beyond bytes in all ({@link OffHeapLimitException}), so a step too large for the machine
     * fails with an error instead of growing until the operating system kills the process. Default: no limit.
     */
    public synchronized void limit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("TensorPool: limit must be >= 0, got " + bytes);
        }
        this.limit = bytes;
    }

    /** Bytes reserved from the arena so far (the pool's footprint). Flat after warm-up. */
    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    /** Number of arena reservations so far. Flat after warm-up. */
    public synchronized long reservations() {
        return reservations;
    }

    /** Number of requests served from a free list. */
    public synchronized long reuses() {
        return reuses;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
