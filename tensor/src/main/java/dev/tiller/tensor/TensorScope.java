package dev.tiller.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A lifetime for temporary tensors (activations, intermediate results). While a scope is open on a thread, every
 * tensor that thread creates takes its storage from the scope's allocator and is closed when the scope closes,
 * unless {@link #keep kept}. Scopes nest; the innermost one is current. Typical use, one per training step:
 * <pre>{@code
 * try (TensorScope step = TensorScope.open(pool)) {
 *     Tensor loss = model.forward(batch);   // all intermediates go back to the pool at the end of the block
 * }
 * }</pre>
 * Not thread-safe: a scope belongs to the thread that opened it. Kernels run by worker threads write into tensors
 * the calling thread created, so they need no scope of their own.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final Allocator allocator;
    private final TensorScope parent;
    private final List<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private TensorScope(Allocator allocator, TensorScope parent) {
        this.allocator = allocator;
        this.parent = parent;
    }

    /** Opens a scope on this thread whose tensors come from allocator. */
    public static TensorScope open(Allocator allocator) {
        TensorScope s = new TensorScope(allocator, CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /**
     * A scope on the allocator new tensors use now (the current scope's, else {@link Allocators#auto()}), for a loop
     * body: its temporaries go back to that pool each iteration instead of piling up in the enclosing scope.
     */
    public static TensorScope openHere() {
        return open(currentAllocator());
    }

    /** The allocator new tensors use on this thread: the current scope's, else {@link Allocators#auto()}. */
    static Allocator currentAllocator() {
        TensorScope s = CURRENT.get();
        return s == null ? Allocators.auto() : s.allocator;
    }

    /** Registers a freshly made tensor with the current scope, if any. */
    static void track(Tensor t) {
        TensorScope s = CURRENT.get();
        if (s != null) {
            s.owned.add(t);
        }
    }

    /** Moves t out of this scope so it survives close: to the parent scope, or to nobody (caller closes it). */
    public Tensor keep(Tensor t) {
        if (owned.remove(t) && parent != null) {
            parent.owned.add(t);
        }
        return t;
    }

    /** Number of tensors this scope will close. */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("TensorScope opened on " + thread.getName()
                    + " closed from " + Thread.currentThread().getName());
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("TensorScope closed out of order: close inner scopes first");
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
        if (parent == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(parent);
        }
    }
}
