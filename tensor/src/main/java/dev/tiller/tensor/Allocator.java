package dev.tiller.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Where tensor storage comes from. Implementations: {@link Allocators#auto()} (GC-managed, for ad-hoc use),
 * {@link TensorPool} (size-class free lists over one shared arena, so a training step allocates no new off-heap
 * memory after warm-up) and {@link Allocators#arena(java.lang.foreign.Arena)} (owned by a caller's arena).
 * Segments are 64-byte aligned. Contents of a fresh segment are unspecified unless the allocator says otherwise.
 */
public interface Allocator {
    /** A segment of at least bytes bytes, 64-byte aligned. */
    MemorySegment allocate(long bytes);

    /** Gives a segment obtained from {@link #allocate} back; the caller must not touch it afterwards. */
    void release(MemorySegment segment);
}
