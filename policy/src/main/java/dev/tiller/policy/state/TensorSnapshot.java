package dev.tiller.policy.state;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bitwise copies of named tensors in off-heap memory that this snapshot owns (one arena, freed by {@link #close()}).
 * Taking a snapshot into an older one of the same layout overwrites the older one's memory ({@link #of(Map,
 * TensorSnapshot)}), so a ring of snapshots allocates only while it fills. Copies are byte for byte (same dtype, dense
 * copies), so a restore gives back exactly the bits that were saved, NaN payloads and signed zeros included.
 */
public final class TensorSnapshot implements AutoCloseable {
    private final Arena arena;
    private final Map<String, Tensor> copies;
    private final long bytes;
    private boolean closed;

    private TensorSnapshot(Map<String, Tensor> live) {
        this.arena = Arena.ofShared();
        Map<String, Tensor> c = new LinkedHashMap<>();
        long b = 0;
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            Tensor t = e.getValue();
            Tensor copy = Tensor.allocate(Allocators.arena(arena), t.dtype(), t.shape());
            copy.copyFrom(t);
            c.put(e.getKey(), copy);
            b += bytesOf(t);
        }
        this.copies = Collections.unmodifiableMap(c);
        this.bytes = b;
    }

    /** A new snapshot of live (names in live's order). */
    public static TensorSnapshot of(Map<String, Tensor> live) {
        return new TensorSnapshot(live);
    }

    /**
     * A snapshot of live that reuses reuse's memory when reuse (may be null) holds the same names, dtypes and shapes:
     * then reuse itself is overwritten and returned; otherwise reuse is closed and a new snapshot returned.
     */
    public static TensorSnapshot of(Map<String, Tensor> live, TensorSnapshot reuse) {
        if (reuse == null || reuse.closed || !reuse.sameLayout(live)) {
            if (reuse != null) {
                reuse.close();
            }
            return new TensorSnapshot(live);
        }
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            reuse.copies.get(e.getKey()).copyFrom(e.getValue());
        }
        return reuse;
    }

    /**
     * Copies every saved tensor back into live, which must hold the same names, dtypes and shapes (else the error
     * names the first tensor that differs and nothing is written). The snapshot stays usable for further restores.
     */
    public void restoreInto(Map<String, Tensor> live) {
        check();
        for (Map.Entry<String, Tensor> e : copies.entrySet()) {
            Tensor dst = live.get(e.getKey());
            Tensor src = e.getValue();
            if (dst == null) {
                throw new IllegalArgumentException("snapshot: tensor '" + e.getKey() + "' has no live counterpart"
                        + " (live has " + live.keySet() + ")");
            }
            if (dst.dtype() != src.dtype() || !Shape.same(dst.shape(), src.shape())) {
                throw new IllegalArgumentException("snapshot: tensor '" + e.getKey() + "' was saved as "
                        + src.describe() + " but the live one is " + dst.describe());
            }
        }
        if (live.size() != copies.size()) {
            throw new IllegalArgumentException("snapshot: live tensors " + live.keySet() + " are not the saved "
                    + copies.keySet());
        }
        copies.forEach((k, src) -> live.get(k).copyFrom(src));
    }

    /** True when live holds the same names, dtypes and shapes, and every element has the saved bits. */
    public boolean sameBits(Map<String, Tensor> live) {
        check();
        if (!sameLayout(live)) {
            return false;
        }
        for (Map.Entry<String, Tensor> e : copies.entrySet()) {
            if (!sameBits(e.getValue(), live.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** True when a and b have the same dtype, shape and element bits (any layout). */
    public static boolean sameBits(Tensor a, Tensor b) {
        if (a.dtype() != b.dtype() || !Shape.same(a.shape(), b.shape())) {
            return false;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment x = dense(a, scratch);
            MemorySegment y = dense(b, scratch);
            return x.mismatch(y) < 0;
        }
    }

    /** The element bytes of t, in row-major order (a copy into scratch when t is not contiguous). */
    private static MemorySegment dense(Tensor t, Arena scratch) {
        long n = bytesOf(t);
        if (t.isContiguous()) {
            return t.segment().asSlice(t.offset() * t.dtype().bytes(), n);
        }
        Tensor c = Tensor.allocate(Allocators.arena(scratch), t.dtype(), t.shape());
        c.copyFrom(t);
        return c.segment().asSlice(0, n);
    }

    /** The saved copies by name (read them, never write them). */
    public Map<String, Tensor> tensors() {
        check();
        return copies;
    }

    /** Bytes of the saved elements. */
    public long bytes() {
        return bytes;
    }

    /** Bytes a snapshot of live would hold. */
    public static long bytesOf(Map<String, Tensor> live) {
        long b = 0;
        for (Tensor t : live.values()) {
            b += bytesOf(t);
        }
        return b;
    }

    private static long bytesOf(Tensor t) {
        return t.numel() * t.dtype().bytes();
    }

    private boolean sameLayout(Map<String, Tensor> live) {
        if (live.size() != copies.size()) {
            return false;
        }
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            Tensor mine = copies.get(e.getKey());
            if (mine == null || mine.dtype() != e.getValue().dtype()
                    || !Shape.same(mine.shape(), e.getValue().shape())) {
                return false;
            }
        }
        return true;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("snapshot: used after close()");
        }
    }

    /** Frees the copies; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
