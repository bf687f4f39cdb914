package dev.tiller.policy;

import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.log.Event;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Saves a run's checkpoints into a {@link CheckpointRing} every N steps: the training thread copies the state (see
 * {@link RunCheckpoint#capture}) and goes on, and one checkpoint thread writes the copy, so training waits for a copy
 * in memory, not for the disk. One write is in flight at a time (a save waits for the previous one). A failed write
 * is logged (checkpoint_failed), printed, counted, and leaves the previous checkpoints as they were; training goes
 * on. Every committed checkpoint is logged (checkpoint) with its stall and write times.
 */
public final class Checkpointer implements AutoCloseable {
    private final CheckpointRing ring;
    private final long every;
    private final Map<String, Object> config;
    private final PrintStream err;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tiller-checkpoint");
        t.setDaemon(true);     // a crash must not wait for it; close() and the interrupt hook wait explicitly
        return t;
    });
    private Future<?> inFlight;
    private volatile long committed = -1;
    private volatile int failures;
    private volatile double maxStall;
    private long lastSaved = -1;

    /**
     * Checkpoints of a run whose config.json holds config into ring, after every every-th step (0: only when
     * {@link #save} is called); failures are printed on err.
     */
    public Checkpointer(CheckpointRing ring, long every, Map<String, Object> config, PrintStream err) {
        if (every < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be >= 0, got " + every);
        }
        this.ring = ring;
        this.every = every;
        this.config = config;
        this.err = err;
    }

    public CheckpointRing ring() {
        return ring;
    }

    /** Saves after a finished step when the step count is a multiple of the interval. */
    public void afterStep(TrainState<?> s) {
        if (every > 0 && s.step() % every == 0) {
            save(s);
        }
    }

    /** Saves s now unless its step was saved already (at the end of a run whose length the interval divides). */
    public void save(TrainState<?> s) {
        if (s.step() == lastSaved) {
            return;
        }
        long t0 = System.nanoTime();
        await();
        RunCheckpoint.Capture c = RunCheckpoint.capture(s, config);
        double stall = (System.nanoTime() - t0) / 1e9;
        maxStall = Math.max(maxStall, stall);
        lastSaved = s.step();
        RunLog log = s.log();
        inFlight = writer.submit(() -> {
            try (c) {
                long w0 = System.nanoTime();
                Path p = ring.commit(c.step(), c.tensors(), c.state());
                committed = c.step();
                if (log.isOpen()) {
                    log.event(new Event.Checkpoint(c.step(), p.toString(), c.bytes(), stall,
                            (System.nanoTime() - w0) / 1e9));
                }
            } catch (IOException | RuntimeException e) {
                failures++;
                String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (log.isOpen()) {
                    log.event(new Event.CheckpointFailed(c.step(), msg));
                }
                err.println("tiller: saving the checkpoint after step " + c.step() + " failed (" + msg + "); the"
                        + " previous checkpoints in " + ring.dir() + " are as they were, and training goes on");
            }
        });
    }

    /** Waits for the write in flight, if any. */
    public void await() {
        if (inFlight == null) {
            return;
        }
        try {
            inFlight.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the checkpoint thread failed: " + e.getCause(), e.getCause());
        }
        inFlight = null;
    }

    /** The step of the newest checkpoint committed by this checkpointer (-1: none yet). */
    public long committed() {
        return committed;
    }

    /** Saves that failed. */
    public int failures() {
        return failures;
    }

    /** The longest time training waited for a save, in seconds. */
    public double maxStallSeconds() {
        return maxStall;
    }

    /** Waits for the write in flight and stops the checkpoint thread. */
    @Override
    public void close() {
        try {
            await();
        } finally {
            writer.shutdown();
        }
    }
}
