package dev.tiller.policy;

import dev.tiller.policy.checkpoint.CheckpointException;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Damaged checkpoints and failing disks, counted: every single-bit flip and every truncation of a valid checkpoint is
 * detected with an error naming the file (and the tensor, for the data file) and the ring falls back to the previous
 * checkpoint; a save that fails at any of its writes, syncs or renames leaves the previous checkpoints byte for byte
 * as they were, no temporary folder, and an error naming what failed.
 */
class CheckpointFaultsTest {
    /** Flips and truncations per file kind: the full count, cheap enough to run on every build. */
    private static final int TRIALS = 1000;
    private static Path runDir;
    private static List<Long> steps;

    @BeforeAll
    static void aRunWithCheckpoints(@TempDir Path dir) throws IOException {
        runDir = dir.resolve("run");
        assertTrue(ResumeHarness.adaptive().run(runDir, ResumeHarness.EVERY, null));
        steps = new CheckpointRing(runDir.resolve("checkpoints"), 3, Storage.disk()).steps();
        assertEquals(3, steps.size(), steps.toString());
    }

    private static Path newest() {
        return runDir.resolve("checkpoints").resolve(CheckpointRing.name(steps.get(steps.size() - 1)));
    }

    @Test
    void everySingleBitFlipIsDetectedAndTheRingFallsBack() throws IOException {
        SplittableRandom rnd = new SplittableRandom(16);
        int[] detected = new int[2];
        int[] namedTensor = {0};
        for (String file : List.of(CheckpointFile.MANIFEST, CheckpointFile.DATA)) {
            Path f = newest().resolve(file);
            long size = Files.size(f);
            for (int i = 0; i < TRIALS; i++) {
                long at = rnd.nextLong(size);
                int bit = rnd.nextInt(8);
                flip(f, at, bit);
                try {
                    CheckpointException e = assertThrows(CheckpointException.class, () -> read(newest()),
                            file + ": flip of bit " + bit + " at byte " + at + " went unnoticed");
                    assertTrue(e.getMessage().contains(f.toString()) || e.getMessage().contains(newest().toString()),
                            e.getMessage());
                    if (file.equals(CheckpointFile.DATA) && e.getMessage().contains("tensor '")) {
                        namedTensor[0]++;
                    }
                    detected[file.equals(CheckpointFile.MANIFEST) ? 0 : 1]++;
                    if (i % 100 == 0) {
                        CheckpointRing.Found found = new CheckpointRing(runDir.resolve("checkpoints"), 3,
                                Storage.disk()).latest();
                        assertNotNull(found.loaded(), "no fallback");
                        try (CheckpointFile.Loaded l = found.loaded()) {
                            assertEquals(steps.get(steps.size() - 2), l.step());
                        }
                        assertEquals(1, found.skipped().size());
                    }
                } finally {
                    flip(f, at, bit);
                }
            }
        }
        read(newest());           // whole again
        System.out.printf("bit flips: manifest %d/%d detected, data %d/%d detected (%d naming the tensor)%n",
                detected[0], TRIALS, detected[1], TRIALS, namedTensor[0]);
        assertEquals(TRIALS, detected[0]);
        assertEquals(TRIALS, detected[1]);
        assertEquals(TRIALS, namedTensor[0], "a flip in the data file names its tensor");
    }

    @Test
    void everyTruncationIsDetected(@TempDir Path scratch) throws IOException {
        SplittableRandom rnd = new SplittableRandom(17);
        int detected = 0;
        for (String file : List.of(CheckpointFile.MANIFEST, CheckpointFile.DATA)) {
            Path copy = scratch.resolve(file + "-copy");
            copyTree(newest(), copy);
            Path f = copy.resolve(file);
            byte[] whole = Files.readAllBytes(f);
            for (int i = 0; i < TRIALS; i++) {
                int length = rnd.nextInt(whole.length);
                Files.write(f, Arrays.copyOf(whole, length));
                CheckpointException e = assertThrows(CheckpointException.class, () -> read(copy),
                        file + " cut to " + length + " of " + whole.length + " bytes went unnoticed");
                assertTrue(e.getMessage().contains(copy.toString()), e.getMessage());
                detected++;
            }
            Files.write(f, whole);
            read(copy);
        }
        System.out.printf("truncations: %d/%d detected%n", detected, 2 * TRIALS);
        assertEquals(2 * TRIALS, detected);
    }

    @Test
    void aSaveThatFailsAnywhereLeavesThePreviousCheckpointsAsTheyWere(@TempDir Path dir) throws IOException {
        Path ring = dir.resolve("checkpoints");
        copyTree(runDir.resolve("checkpoints"), ring);
        Map<String, String> before = digests(ring);
        int failures = 0;
        for (int failAt = 0; ; failAt++) {
            FailingStorage storage = new FailingStorage(failAt);
            Path newest = ring.resolve(CheckpointRing.name(steps.get(steps.size() - 1)));
            try (CheckpointFile.Loaded l = CheckpointFile.read(newest)) {
                CheckpointRing r = new CheckpointRing(ring, 3, storage);
                try {
                    r.commit(999, l.tensors(), Map.of("x", 1));
                    break;       // every operation before the commit point has failed once
                } catch (IOException e) {
                    failures++;
                    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
                }
            }
            assertEquals(before, digests(ring), "a save failing at operation " + failAt + " changed the ring");
            try (Stream<Path> s = Files.list(ring)) {
                assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".tmp-")),
                        "a temporary folder stayed after a save failing at operation " + failAt);
            }
        }
        System.out.printf("disk full: %d failure points, previous checkpoints byte-identical after each%n", failures);
        assertTrue(failures >= 8, "failure points: " + failures);
    }

    /** A disk that fills up at its failAt-th operation (a write of part of a buffer, a sync or a rename). */
    private static final class FailingStorage implements Storage {
        private final Storage disk = Storage.disk();
        private final int failAt;
        int operations;

        FailingStorage(int failAt) {
            this.failAt = failAt;
        }

        private void tick() throws IOException {
            if (operations++ == failAt) {
                throw new IOException("No space left on device");
            }
        }

        @Override
        public Sink create(Path file) throws IOException {
            tick();
            Sink real = disk.create(file);
            return new Sink() {
                @Override
                public void write(ByteBuffer b) throws IOException {
                    if (b.remaining() > 1) {
                        ByteBuffer half = b.duplicate();
                        half.limit(b.position() + b.remaining() / 2);
                        real.write(half);
                        b.position(half.position());
                    }
                    tick();
                    real.write(b);
                }

                @Override
                public void sync() throws IOException {
                    tick();
                    real.sync();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            tick();
            disk.syncDirectory(dir);
        }

        @Override
        public void rename(Path from, Path to) throws IOException {
            tick();
            disk.rename(from, to);
        }
    }

    private static void read(Path dir) {
        try (CheckpointFile.Loaded l = CheckpointFile.read(dir)) {
            assertTrue(l.step() > 0);
        }
    }

    private static void flip(Path f, long at, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.rewind();
            ch.write(b, at);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
    }

    /** SHA-256 of every file under dir, by relative path. */
    private static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try {
                    out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (NoSuchAlgorithmException e) {
                    fail(e);
                }
            }
        }
        return out;
    }
}
