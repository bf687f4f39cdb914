package dev.tiller.models.data;

import dev.tiller.testsupport.Fuzz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IDX reader on damaged files, plain and gzipped: each reads, or is refused with an IllegalArgumentException
 * naming the file; never another exception, a hang or an allocation the file cannot back. 1,000 inputs in CI,
 * 10,000 with ./tiller test all.
 */
class IdxFuzzTest {
    private static byte[] idx(boolean gzip, int type, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream o = gzip ? new GZIPOutputStream(bytes) : bytes;
             DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(type << 8 | dims.length);
            for (int x : dims) {
                d.writeInt(x);
            }
            d.write(data);
        }
        return bytes.toByteArray();
    }

    @Test
    void damagedFilesReadOrAreRefusedSample(@TempDir Path dir) throws IOException {
        fuzz(dir, 1_000);
    }

    @Tag("soak")
    @Test
    void damagedFilesReadOrAreRefusedFull(@TempDir Path dir) throws IOException {
        fuzz(dir, 10_000);
    }

    private static void fuzz(Path dir, int n) throws IOException {
        byte[] pixels = new byte[3 * 5 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        byte[][] seeds = {idx(false, 0x08, new int[] {3, 5, 4}, pixels), idx(true, 0x08, new int[] {3, 5, 4}, pixels),
            idx(false, 0x0D, new int[] {15}, pixels), idx(false, 0x08, new int[] {60}, pixels)};
        SplittableRandom rnd = new SplittableRandom(n);
        int read = 0;
        int refused = 0;
        for (int i = 0; i < n; i++) {
            byte[] seed = seeds[rnd.nextInt(seeds.length)];
            Path f = Files.write(dir.resolve("f-idx3-ubyte"), Fuzz.damage(seed, rnd));
            try {
                Idx.read(f);
                read++;
            } catch (IllegalArgumentException e) {
                refused++;
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            }
        }
        System.out.printf("IDX fuzz: %d inputs, %d refused naming the file, %d read, no other exception%n", n,
                refused, read);
        assertEquals(n, read + refused);
    }
}
