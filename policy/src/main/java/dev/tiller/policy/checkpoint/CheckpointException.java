package dev.tiller.policy.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint that cannot be used: missing, truncated, corrupt (a checksum that does not match), of another format
 * or version, or holding state this run cannot take. The message names the file and, where one is at fault, the
 * tensor or field.
 */
public final class CheckpointException extends IllegalArgumentException {
    private final Path file;

    public CheckpointException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public CheckpointException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file (or checkpoint folder) at fault. */
    public Path file() {
        return file;
    }
}
