package dev.tiller.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one parallel loop. Work is cut into a fixed list of chunks that depends only on the
 * problem size and the grain, never on the thread count; threads take chunks in any order, and each chunk writes
 * only its own outputs. So a kernel whose chunks compute their outputs in a fixed order gives bitwise identical
 * results for 1, 2 or 4 threads. Reductions across chunks go through {@link #reduce}, which combines per-chunk
 * partials in chunk order on the caller.
 *
 * <p>Thread count: {@code -Dtiller.threads=N}, else the number of available processors; changeable at run time
 * with {@link #setThreads}; from 1 to {@link #maxThreads()}, since more threads than that only spin on the machine's
 * cores. Calls from inside a worker run inline (no nested parallelism).
 */
public final class Parallel {
    /** Body of a parallel loop: handles chunk indices [start, end) of the range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Body of a chunked reduction: returns the partial result for [start, end). */
    @FunctionalInterface
    public interface RangeSum {
        double run(int start, int end);
    }

    private static volatile Pool pool = new Pool(System.getProperty("tiller.threads") == null
            ? Runtime.getRuntime().availableProcessors()
            : ThreadCount.parse(System.getProperty("tiller.threads"), "-Dtiller.threads"));
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    /** Number of threads parallel loops use (including the caller). */
    public static int threads() {
        return pool.threads;
    }

    /**
     * Whether a parallel loop started here would run on more than one thread: false with one thread, and inside a
     * worker (nested loops run inline). For choices that only affect speed, such as how finely to cut work that
     * packs shared data per chunk; never for anything that changes results.
     */
    public static boolean canSplit() {
        return pool.threads > 1 && !IN_WORKER.get();
    }

    /** The most threads a pool may have (see {@link ThreadCount#max()}). */
    public static int maxThreads() {
        return ThreadCount.max();
    }

    /** Sets the thread count for later loops; n from 1 to {@link #maxThreads()}. Results do not depend on it. */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > maxThreads()) {
            throw new IllegalArgumentException("Parallel.setThreads: need 1 to " + maxThreads() + " threads, got "
                    + n);
        }
        if (n != pool.threads) {
            Pool old = pool;
            pool = new Pool(n);
            old.shutdown();
        }
    }

    /**
     * Runs body over [0, n) in chunks of grain elements (the last may be shorter). Chunk boundaries depend only on
     * n and grain. Returns when every chunk has run; the first exception thrown by a chunk is rethrown here.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        int chunks = (int) ((n + (long) g - 1) / g);
        Pool p = pool;
        if (chunks == 1 || p.threads == 1 || IN_WORKER.get()) {
            for (int c = 0; c < chunks; c++) {
                int s = c * g;
                body.run(s, Math.min(n, s + g));
            }
            return;
        }
        p.run(n, g, chunks, body);
    }

    /**
     * Sum over [0, n): each chunk of grain elements returns a partial, and partials are added in chunk order.
     * Deterministic for any thread count.
     */
    public static double reduce(int n, int grain, RangeSum body) {
        if (n <= 0) {
            return 0;
        }
        int g = Math.max(1, grain);
        int chunks = (int) ((n + (long) g - 1) / g);
        double[] partial = new double[chunks];
        forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int s = c * g;
                partial[c] = body.run(s, Math.min(n, s + g));
            }
        });
        double sum = 0;
        for (double v : partial) {
            sum += v;
        }
        return sum;
    }

    /** Fixed workers plus the caller; chunks are claimed from an atomic counter. */
    private static final class Pool {
        private static final long SPIN_NANOS = 200_000;
        final int threads;
        private final Thread[] workers;
        private final Object lock = new Object();
        private volatile Job job;
        private volatile boolean stopped;

        Pool(int threads) {
            this.threads = threads;
            this.workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                Thread t = new Thread(this::workerLoop, "tiller-worker-" + (i + 1));
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void run(int n, int grain, int chunks, RangeBody body) {
            synchronized (lock) {            // one parallel loop at a time per pool; callers queue here
                Job j = new Job(n, grain, chunks, body);
                job = j;
                for (Thread w : workers) {
                    LockSupport.unpark(w);
                }
                IN_WORKER.set(true);
                try {
                    j.work();
                } finally {
                    IN_WORKER.set(false);
                }
                j.awaitDone();
                job = null;
                if (j.failure != null) {
                    if (j.failure instanceof RuntimeException re) {
                        throw re;
                    }
                    if (j.failure instanceof Error e) {
                        throw e;
                    }
                    throw new IllegalStateException(j.failure);
                }
            }
        }

        /**
         * Workers spin for about SPIN_NANOS after their last job before parking: a training step issues hundreds of
         * parallel loops back to back, and an unpark costs tens of microseconds, more than a small GEMM takes.
         */
        private void workerLoop() {
            IN_WORKER.set(true);
            Job last = null;
            long idleSince = System.nanoTime();
            int spins = 0;
            while (!stopped) {
                Job j = job;
                if (j != null && j != last) {
                    last = j;
                    j.work();
                    idleSince = System.nanoTime();
                    spins = 0;
                } else if ((++spins & 63) != 0 || System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(200_000);
                }
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }

    private static final class Job {
        final int n;
        final int grain;
        final int chunks;
        final RangeBody body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int n, int grain, int chunks, RangeBody body) {
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
            this.body = body;
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    if (failure == null) {
                        int s = c * grain;
                        body.run(s, Math.min(n, s + grain));
                    }
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void awaitDone() {
            int spins = 0;
            while (done.get() < chunks) {
                if (spins++ < 10_000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
        }
    }
}
