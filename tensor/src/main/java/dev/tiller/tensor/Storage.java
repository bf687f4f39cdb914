package dev.tiller.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A block of off-heap memory shared by a tensor and its views. The tensor that made it owns it and gives it back to
 * its allocator on close; views only read the closed flag, so using any view of a closed tensor fails cleanly with
 * {@link IllegalStateException} instead of touching memory that a pool may have handed to someone else.
 */
final class Storage {
    private final MemorySegment segment;
    private final Allocator allocator;
    private final long elements;
    private volatile boolean closed;

    Storage(MemorySegment segment, Allocator allocator, long elements) {
        this.segment = segment;
        this.allocator = allocator;
        this.elements = elements;
    }

    MemorySegment segment(Tensor user) {
        if (closed) {
            throw new IllegalStateException("use of a closed tensor: " + user.describe()
                    + "; it (or the tensor it is a view of) was closed, e.g. by the end of its TensorScope;"
                    + " keep it with scope.keep(t) or copy it before the scope ends");
        }
        return segment;
    }

    long elements() {
        return elements;
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        if (!closed) {
            closed = true;
            allocator.release(segment);
        }
    }
}
