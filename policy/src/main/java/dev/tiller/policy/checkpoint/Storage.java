package dev.tiller.policy.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The file operations a checkpoint save makes, as one seam: tests put a fault-injecting storage here (a full disk,
 * an I/O error after n bytes) and check that the previous checkpoint is untouched. {@link #disk()} is the real one.
 */
public interface Storage {
    /** A new file open for writing; fails when it exists. */
    Sink create(Path file) throws IOException;

    /** Makes dir's entries (files created, renamed or deleted in it) durable. */
    void syncDirectory(Path dir) throws IOException;

    /** Renames from to to atomically; to must not exist. */
    void rename(Path from, Path to) throws IOException;

    /** A file being written. */
    interface Sink extends AutoCloseable {
        /** Writes all of b. */
        void write(ByteBuffer b) throws IOException;

        /** Makes what was written durable (fsync). */
        void sync() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** The local file system, with fsync. */
    static Storage disk() {
        return new Storage() {
            @Override
            public Sink create(Path file) throws IOException {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new Sink() {
                    @Override
                    public void write(ByteBuffer b) throws IOException {
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }

                    @Override
                    public void sync() throws IOException {
                        ch.force(true);
                    }

                    @Override
                    public void close() throws IOException {
                        ch.close();
                    }
                };
            }

            @Override
            public void syncDirectory(Path dir) throws IOException {
                try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                    ch.force(true);
                } catch (IOException e) {
                    // Some file systems cannot open a directory for fsync; the rename is still atomic there.
                    if (!Files.isDirectory(dir)) {
                        throw e;
                    }
                }
            }

            @Override
            public void rename(Path from, Path to) throws IOException {
                if (Files.exists(to)) {
                    throw new IOException("cannot rename " + from + " to " + to + ": it exists");
                }
                try {
                    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the file system of " + to + " cannot rename atomically", e);
                }
            }
        };
    }
}
