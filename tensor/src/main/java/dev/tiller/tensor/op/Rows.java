package dev.tiller.tensor.op;

import dev.tiller.tensor.Parallel;

/**
 * The row loop of the row ops (softmax, normalisation, cross-entropy, attention, embedding): rows of a dense
 * (rows, cols) layout run in parallel in fixed chunks whose size depends only on cols, and each row is computed by
 * one thread, so results do not depend on the thread count.
 */
final class Rows {
    /** Elements per parallel chunk, about: small enough to balance threads, large enough to amortise a task. */
    private static final int CHUNK_ELEMENTS = 16384;

    private Rows() {}

    /** One row: r is its index, at = r * cols the element offset of its first element in the dense layout. */
    @FunctionalInterface
    interface Row {
        void run(int r, long at);
    }

    /** Runs row for every r in [0, rows), in parallel over fixed chunks of {@link #grain}(cols) rows. */
    static void forEach(int rows, int cols, Row row) {
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                row.run(r, (long) r * cols);
            }
        });
    }

    /** Rows per parallel chunk for rows of n elements: about CHUNK_ELEMENTS elements, fixed by the problem size. */
    static int grain(int n) {
        return Math.max(1, CHUNK_ELEMENTS / Math.max(1, n));
    }
}
