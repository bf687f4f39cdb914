package dev.tiller.policy;

import dev.tiller.policy.log.Event;
import dev.tiller.policy.log.StepMetrics;
import dev.tiller.tensor.io.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A run folder {@code runs/<name>/}: config.json (written atomically: a temporary file moved into place),
 * metrics.jsonl and events.jsonl (one JSON object a line, flushed as written, so a crash loses at most the line
 * being written). Each metrics row has at least step and train_loss. A log opened to append (a resumed run) keeps
 * the rows and events already there.
 */
public final class RunLog implements AutoCloseable {
    private boolean closed;
    private final Path dir;
    private final BufferedWriter metrics;
    private final BufferedWriter events;
    private long metricsBytes;
    private long eventsBytes;

    /** A new log: config.json written, metrics.jsonl and events.jsonl started empty. */
    public RunLog(Path dir, Map<String, Object> config) {
        this(dir, config, false);
    }

    /**
     * Opens the run folder dir and writes config.json; with append, metrics.jsonl and events.jsonl keep what they
     * hold and new lines go after it (a resumed run keeps its history), else they start empty.
     */
    public RunLog(Path dir, Map<String, Object> config, boolean append) {
        this.dir = dir;
        StandardOpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try {
            Files.createDirectories(dir);
            writeAtomically(dir.resolve("config.json"), Json.write(config) + "\n");
            this.metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, mode, StandardOpenOption.WRITE);
            this.events = Files.newBufferedWriter(dir.resolve("events.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, mode, StandardOpenOption.WRITE);
            this.metricsBytes = Files.size(dir.resolve("metrics.jsonl"));
            this.eventsBytes = Files.size(dir.resolve("events.jsonl"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run folder " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Appends a metrics row. */
    public synchronized void metrics(Map<String, Object> row) {
        metricsBytes += line(metrics, row);
    }

    /** Appends a typed metrics row. */
    public synchronized void metrics(StepMetrics row) {
        metricsBytes += line(metrics, row.toJson());
    }

    /** Appends a typed event. */
    public void event(Event e) {
        event(e.toJson());
    }

    /** Appends an event ({"step":..,"event":..,...}). */
    public synchronized void event(Map<String, Object> e) {
        eventsBytes += line(events, e);
    }

    /** The lengths of metrics.jsonl and events.jsonl now: where a resume from a checkpoint taken now cuts them. */
    public synchronized long[] lengths() {
        return new long[] {metricsBytes, eventsBytes};
    }

    /**
     * Cuts metrics.jsonl and events.jsonl of the run in dir back to the given lengths (what a checkpoint recorded),
     * dropping the lines of steps after it, which the resumed run writes again. Returns the bytes dropped from each.
     */
    public static long[] truncate(Path dir, long metricsLength, long eventsLength) throws IOException {
        long[] dropped = new long[2];
        String[] names = {"metrics.jsonl", "events.jsonl"};
        long[] lengths = {metricsLength, eventsLength};
        for (int i = 0; i < 2; i++) {
            Path f = dir.resolve(names[i]);
            long size = Files.exists(f) ? Files.size(f) : 0;
            if (size < lengths[i]) {
                throw new IOException(f + " holds " + size + " bytes, fewer than the " + lengths[i]
                        + " the checkpoint recorded: it was changed after the checkpoint");
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(lengths[i]);
                ch.force(true);
            }
            dropped[i] = size - lengths[i];
        }
        return dropped;
    }

    /** Lines are whole even when a shutdown hook logs while the training thread does; returns the bytes written. */
    private synchronized long line(BufferedWriter w, Map<String, Object> row) {
        if (closed) {
            throw new IllegalStateException("the logs in " + dir + " are closed");
        }
        try {
            String text = Json.write(row);
            w.write(text);
            w.write('\n');
            w.flush();
            return text.getBytes(StandardCharsets.UTF_8).length + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir, e);
        }
    }

    /** Writes text to file via a temporary sibling and an atomic move, so readers never see half a file. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** False once closed: a shutdown hook asks before it logs. */
    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            metrics.close();
            events.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the logs in " + dir, e);
        }
    }
}
