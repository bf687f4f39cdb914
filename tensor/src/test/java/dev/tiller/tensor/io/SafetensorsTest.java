package dev.tiller.tensor.io;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.testsupport.Fuzz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * safetensors as PyTorch writes it and reads it: a file built byte by byte from the format's description reads back,
 * Tiller's own files round-trip every dtype (non-contiguous tensors saved dense), every malformed file is refused
 * with an error naming the file and tensor, and generated damage to a valid file gives only that error (1,000 in CI,
 * 10,000 with ./tiller test all).
 */
class SafetensorsTest {
    /** 8-byte little-endian length, the JSON header, then the data: what safetensors.torch.save_file writes. */
    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    @Test
    void aFileLaidOutAsTheFormatSaysReadsBack(@TempDir Path dir) throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],"
                + "\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
        for (String h : new String[] {header, header + " ".repeat((8 - header.length() % 8) % 8)}) {
            Path f = Files.write(dir.resolve("pt.safetensors"), file(h, floats(1, 2, 3, 4, -0.5f, 7)));
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.Contents c = Safetensors.read(f, arena);
                assertEquals(Map.of("format", "pt"), c.metadata());
                assertArrayEquals(new int[] {2, 2}, c.tensors().get("w").shape());
                assertArrayEquals(new float[] {1, 2, 3, 4}, c.tensors().get("w").toFloatArray());
                assertArrayEquals(new float[] {-0.5f, 7}, c.tensors().get("b").toFloatArray());
            }
        }
    }

    @Test
    void everyDtypeRoundTripsBitForBit(@TempDir Path dir) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("f32", Tensor.normal(1, 1, 0, 1, 3, 5));
        t.put("transposed", Tensor.normal(1, 2, 0, 1, 4, 3).transpose(0, 1));     // saved dense
        t.put("bf16", Tensor.normal(1, 3, 0, 1, 7).to(DType.BF16));
        t.put("f16", Tensor.normal(1, 4, 0, 1, 2, 2).to(DType.F16));
        t.put("i32", Tensor.ofInts(new int[] {1, -2, 3}, 3));
        t.put("i64", Tensor.ofLongs(new long[] {Long.MIN_VALUE, 5}, 2));
        t.put("empty", Tensor.zeros(0, 4));
        t.put("scalar", Tensor.scalar(2.5f));
        Path f = dir.resolve("all.safetensors");
        Safetensors.write(f, t, Map.of("tiller_step", "12"));
        try (Arena arena = Arena.ofConfined()) {
            Safetensors.Contents c = Safetensors.read(f, arena);
            assertEquals(Map.of("tiller_step", "12"), c.metadata());
            assertEquals(t.keySet(), c.tensors().keySet());
            for (String k : t.keySet()) {
                Tensor a = t.get(k);
                Tensor b = c.tensors().get(k);
                assertEquals(a.dtype(), b.dtype(), k);
                assertArrayEquals(a.shape(), b.shape(), k);
                assertEquals(Arrays.toString(bytes(a)), Arrays.toString(bytes(b)), k);
            }
        }
        long n = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "the header is padded to 8 bytes, as the reference writer pads it");
    }

    private static byte[] bytes(Tensor t) {
        Tensor c = Tensor.zeros(t.dtype(), t.shape());
        c.copyFrom(t);
        return c.segment().asSlice(0, c.numel() * c.dtype().bytes()).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void malformedFilesAreRefusedNamingWhatIsWrong(@TempDir Path dir) throws IOException {
        String ok = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("too short", new byte[] {1, 2, 3});
        cases.put("does not fit", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        cases.put("not JSON", file("{\"w\":", floats(1, 2)));
        cases.put("tensor 'w': dtype F64", file("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                floats(1, 2)));
        cases.put("tensor 'w': shape [3] of F32 is not the 8 bytes", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],"
                + "\"data_offsets\":[0,8]}}", floats(1, 2)));
        cases.put("tensor 'w': data_offsets [0, 12] lie outside", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],"
                + "\"data_offsets\":[0,12]}}", floats(1, 2)));
        cases.put("overlaps", file("{" + ok + ",\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                floats(1, 2)));
        cases.put("a hole before it", file("{\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                floats(1, 2)));
        cases.put("trailing bytes", file("{" + ok + "}", floats(1, 2, 3)));
        cases.put("__metadata__ value of 'n' is not a string", file("{\"__metadata__\":{\"n\":1}," + ok + "}",
                floats(1, 2)));
        cases.put("not a non-negative integer", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],"
                + "\"data_offsets\":[0,8]}}", floats(1, 2)));
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            Path f = Files.write(dir.resolve("bad.safetensors"), c.getValue());
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.BadFile e = assertThrows(Safetensors.BadFile.class, () -> Safetensors.read(f, arena),
                        c.getKey());
                assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(c.getKey()),
                        c.getKey() + ": " + e.getMessage());
            }
        }
    }

    @Test
    void damagedFilesGiveOnlyTheTypedErrorSample(@TempDir Path dir) throws IOException {
        fuzz(dir, 1_000);
    }

    @Tag("soak")
    @Test
    void damagedFilesGiveOnlyTheTypedErrorFull(@TempDir Path dir) throws IOException {
        fuzz(dir, 10_000);
    }

    /** n damaged copies of a valid file: each reads, or fails with BadFile; no other exception. */
    private static void fuzz(Path dir, int n) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.normal(2, 1, 0, 1, 4, 4));
        t.put("b.weight", Tensor.normal(2, 2, 0, 1, 3).to(DType.BF16));
        t.put("c", Tensor.ofInts(new int[] {7, 8}, 2));
        Path valid = dir.resolve("valid.safetensors");
        Safetensors.write(valid, t, Map.of("k", "v"));
        byte[] whole = Files.readAllBytes(valid);
        SplittableRandom rnd = new SplittableRandom(n);
        int refused = 0;
        int read = 0;
        Path f = dir.resolve("fuzz.safetensors");
        for (int i = 0; i < n; i++) {
            byte[] b = Fuzz.damage(whole, rnd);
            Files.write(f, b);
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.read(f, arena);
                read++;
            } catch (Safetensors.BadFile e) {
                refused++;
            }
        }
        System.out.printf("safetensors fuzz: %d inputs, %d refused with BadFile, %d read, no other exception%n", n,
                refused, read);
        assertEquals(n, refused + read);
    }
}
