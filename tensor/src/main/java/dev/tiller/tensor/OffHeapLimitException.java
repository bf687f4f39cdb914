package dev.tiller.tensor;

import java.util.Locale;

/** A {@link TensorPool} was asked to reserve more off-heap memory than its limit allows. */
public final class OffHeapLimitException extends RuntimeException {
    private final long wanted;
    private final long limit;

    public OffHeapLimitException(long wanted, long limit) {
        super(String.format(Locale.ROOT, "a step needs more than %.1f GB of off-heap memory; the limit is %.1f GB",
                wanted / 1e9, limit / 1e9));
        this.wanted = wanted;
        this.limit = limit;
    }

    /** Bytes the pool would have held with the refused reservation. */
    public long wanted() {
        return wanted;
    }

    public long limit() {
        return limit;
    }
}
