package dev.tiller.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** The stock allocators. */
public final class Allocators {
    private static final Allocator AUTO = new Allocator() {
        @Override
        public MemorySegment allocate(long bytes) {
            return Arena.ofAuto().allocate(Math.max(bytes, 1), 64);
        }

        @Override
        public void release(MemorySegment segment) {
            // NOTE: an automatic arena is freed by the GC once unreachable; nothing to do.
        }

        @Override
        public String toString() {
            return "auto";
        }
    };

    private Allocators() {}

    /** GC-managed storage: zero-filled, freed when unreachable. The default outside any {@link TensorScope}. */
    public static Allocator auto() {
        return AUTO;
    }

    /**
     * Storage that lives as long as arena (e.g. one {@code Arena.ofShared()} per run for parameters, gradients and
     * optimizer state). Zero-filled; release is a no-op, the arena's owner frees everything at once.
     */
    public static Allocator arena(Arena arena) {
        return new Allocator() {
            @Override
            public MemorySegment allocate(long bytes) {
                return arena.allocate(Math.max(bytes, 1), 64);
            }

            @Override
            public void release(MemorySegment segment) {
                // freed with the arena
            }
        };
    }
}
