package dev.tiller.policy.checkpoint;

import dev.tiller.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run's checkpoints, {@code RUN/checkpoints/step-NNNNNNNN/}, newest last: {@link #commit} writes one atomically
 * (see {@link CheckpointFile}) and then removes the oldest beyond the ring's size, so a crash during a save leaves
 * the previous checkpoints as they were. {@link #latest} reads the newest checkpoint that passes every check and
 * names each newer one it had to pass over and why: a corrupt or half-deleted checkpoint costs one interval, never
 * the run. Temporary folders a crash left behind are removed by {@link #removeTemporaries}, which a resumed run calls
 * first. Not thread-safe: one writer at a time (the trainer's checkpoint thread).
 */
public final class CheckpointRing {
    /** Prefix of temporary folders (saves in progress, deletions in progress); never a checkpoint. */
    static final String TEMP_PREFIX = ".tmp-";
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,18})");

    private final Path dir;
    private final int keep;
    private final Storage storage;

    /** The ring in dir keeping the newest keep (>= 1) checkpoints, written through storage. */
    public CheckpointRing(Path dir, int keep, Storage storage) {
        if (keep < 1) {
            throw new IllegalArgumentException("a checkpoint ring keeps at least 1 checkpoint, got " + keep);
        }
        this.dir = dir;
        this.keep = keep;
        this.storage = storage;
    }

    public Path dir() {
        return dir;
    }

    public int keep() {
        return keep;
    }

    /** The folder name of step's checkpoint. */
    public static String name(long step) {
        return String.format(Locale.ROOT, "step-%08d", step);
    }

    /**
     * Writes step's checkpoint, then removes the oldest beyond the ring's size. Returns the committed folder. On an
     * I/O error the ring is as it was before the call (no new folder, none removed); a removal that fails after the
     * commit is retried by the next commit.
     */
    public Path commit(long step, Map<String, Tensor> tensors, Map<String, Object> state) throws IOException {
        Path done = CheckpointFile.write(dir, name(step), step, tensors, state, storage);
        List<Long> steps = steps();
        for (int i = 0; i < steps.size() - keep; i++) {
            if (steps.get(i) != step) {
                try {
                    remove(steps.get(i));
                } catch (IOException e) {
                    // the new checkpoint is committed; the old one stays until a later commit removes it
                }
            }
        }
        return done;
    }

    /** The steps of the checkpoint folders present (valid or not), oldest first. */
    public List<Long> steps() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    out.add(Long.parseLong(m.group(1)));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints in " + dir, e);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** The folder of step's checkpoint. */
    public Path folder(long step) {
        return dir.resolve(name(step));
    }

    /** The newest checkpoint that reads back whole, and what was passed over on the way. */
    public record Found(CheckpointFile.Loaded loaded, List<String> skipped) {}

    /**
     * Reads the newest valid checkpoint; null loaded when there is none (skipped then says why each failed). A
     * checkpoint that fails a check is left where it is, for inspection.
     */
    public Found latest() {
        List<Long> steps = steps();
        List<String> skipped = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                return new Found(CheckpointFile.read(folder(steps.get(i))), List.copyOf(skipped));
            } catch (CheckpointException e) {
                skipped.add(e.getMessage());
            }
        }
        return new Found(null, List.copyOf(skipped));
    }

    /** Removes the temporary folders of saves or removals a crash interrupted; returns how many. */
    public int removeTemporaries() {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    deleteQuietly(p);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints in " + dir, e);
        }
        return n;
    }

    /** Removes step's checkpoint: renamed to a temporary name first, so no half-removed folder keeps its name. */
    private void remove(long step) throws IOException {
        Path from = folder(step);
        Path gone = dir.resolve(TEMP_PREFIX + "removed-" + name(step) + "-" + System.nanoTime());
        storage.rename(from, gone);
        deleteQuietly(gone);
    }

    /** Deletes p and everything under it, ignoring errors (a temporary folder is retried at the next start). */
    static void deleteQuietly(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | UncheckedIOException e) {
            // left for the next start's removeTemporaries
        }
    }
}
