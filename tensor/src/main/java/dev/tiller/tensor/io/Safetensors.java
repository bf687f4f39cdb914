package dev.tiller.tensor.io;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors format (huggingface/safetensors), which PyTorch, JAX and the Hugging Face tools read and write:
 * an 8-byte little-endian header length N, N bytes of JSON ({@code {"__metadata__": {string: string}, NAME:
 * {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}}, padded with spaces to a multiple of 8), then
 * the tensors' bytes, little-endian and row-major, offsets counted from the end of the header. Dtypes: F32, BF16, F16,
 * I32, I64, I8 (the ones Tiller has); others are refused by name.
 *
 * <p>Reading follows the format's own rules and trusts nothing: the header length is bounded (100 MB, the reference
 * reader's limit) and checked against the file's size before it is read, every tensor's byte range must match its
 * dtype and shape, lie inside the file and not overlap another, and the ranges must cover the data without holes.
 * Every failure is a {@link BadFile} naming the file and, where one is at fault, the tensor. Writing goes to
 * a temporary file beside the target, fsynced, then moved into place.
 */
public final class Safetensors {
    /** The largest header the reader accepts, as the reference implementation. */
    public static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** A file that is not valid safetensors; the message names the file and, where one is at fault, the tensor. */
    public static final class BadFile extends IllegalArgumentException {
        public BadFile(Path file, String message) {
            super(file + ": " + message);
        }
    }

    /** What a file holds: its tensors by name, in offset order (freed with the arena), and its metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Writes tensors (any layout) and metadata (may be empty) to file, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("safetensors is little-endian; this machine is big-endian");
        }
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("a tensor cannot be named __metadata__");
            }
            Tensor t = e.getValue();
            long bytes = t.numel() * t.dtype().bytes();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().name());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE); Arena scratch = Arena.ofConfined()) {
            writeAll(ch, head);
            for (Tensor t : tensors.values()) {
                Tensor dense = t;
                if (!t.isContiguous()) {
                    dense = Tensor.allocate(Allocators.arena(scratch), t.dtype(), t.shape());
                    dense.copyFrom(t);
                }
                long bytes = dense.numel() * dense.dtype().bytes();
                MemorySegment seg = dense.segment().asSlice(dense.offset() * dense.dtype().bytes(), bytes);
                for (long off = 0; off < bytes; off += 1 << 24) {
                    writeAll(ch, seg.asSlice(off, Math.min(1 << 24, bytes - off)).asByteBuffer());
                }
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads file into tensors allocated in arena; see the class comment for what is checked. */
    public static Contents read(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new BadFile(file, size + " bytes: too short for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.flip().getLong();
            if (n < 2 || n > MAX_HEADER || n > size - 8) {
                throw new BadFile(file, "header length " + Long.toUnsignedString(n) + " does not fit: the file holds "
                        + size + " bytes and a header may take at most " + MAX_HEADER);
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            String text = StandardCharsets.UTF_8.newDecoder().decode(headBuf.flip()).toString();
            Object parsed;
            try {
                parsed = Json.parse(text.stripTrailing(), file.toString());
            } catch (IllegalArgumentException e) {
                throw new BadFile(file, "its header is not JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new BadFile(file, "its header is not a JSON object");
            }
            long dataStart = 8 + n;
            long dataBytes = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> meta)) {
                        throw new BadFile(file, "__metadata__ is not an object");
                    }
                    for (Map.Entry<?, ?> m : meta.entrySet()) {
                        if (!(m.getValue() instanceof String v)) {
                            throw new BadFile(file, "__metadata__ value of '" + m.getKey() + "' is not a string");
                        }
                        metadata.put(String.valueOf(m.getKey()), v);
                    }
                    continue;
                }
                entries.add(entry(file, name, e.getValue(), dataBytes));
            }
            entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long at = 0;
            for (Entry e : entries) {
                if (e.begin() != at) {
                    throw new BadFile(file, "tensor '" + e.name() + "' starts at " + e.begin() + ", not at " + at
                            + (e.begin() < at ? " (it overlaps the one before)" : " (a hole before it)"));
                }
                at = e.end();
            }
            if (at != dataBytes) {
                throw new BadFile(file, "the tensors cover " + at + " bytes of the " + dataBytes + " after the header"
                        + (at < dataBytes ? " (trailing bytes)" : ""));
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                Tensor t = Tensor.allocate(Allocators.arena(arena), e.dtype(), e.shape());
                MemorySegment dst = t.segment().asSlice(t.offset() * e.dtype().bytes(), e.end() - e.begin());
                for (long off = 0; off < dst.byteSize(); off += 1 << 24) {
                    readFully(ch, dst.asSlice(off, Math.min(1 << 24, dst.byteSize() - off)).asByteBuffer(),
                            dataStart + e.begin() + off, file);
                }
                out.put(e.name(), t);
            }
            return new Contents(out, metadata);
        } catch (NoSuchFileException e) {
            throw new BadFile(file, "no such file");
        } catch (IOException e) {
            throw new BadFile(file, "cannot read it (" + e.getMessage() + ")");
        }
    }

    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    /** One tensor's header entry, checked: dtype known, shape and byte range agree and lie inside the data. */
    private static Entry entry(Path file, String name, Object v, long dataBytes) {
        String at = "tensor '" + name + "': ";
        if (!(v instanceof Map<?, ?> m) || !m.keySet().equals(Set.of("dtype", "shape", "data_offsets"))) {
            throw new BadFile(file, at + "expected exactly dtype, shape and data_offsets");
        }
        DType dtype = null;
        for (DType d : DType.values()) {
            if (d.name().equals(m.get("dtype"))) {
                dtype = d;
            }
        }
        if (dtype == null) {
            throw new BadFile(file, at + "dtype " + m.get("dtype") + " is not one Tiller has (F32, BF16, F16, I32,"
                    + " I64, I8)");
        }
        if (!(m.get("shape") instanceof List<?> dims) || dims.size() > 16) {
            throw new BadFile(file, at + "shape must be a list of at most 16 sizes");
        }
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = integer(dims.get(i), file, at + "shape");
            if (d > Integer.MAX_VALUE) {
                throw new BadFile(file, at + "dimension " + d + " is too large");
            }
            shape[i] = (int) d;
            numel = numel > 0 && d > Long.MAX_VALUE / numel ? Long.MAX_VALUE : numel * d;
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
            throw new BadFile(file, at + "data_offsets must be [begin, end]");
        }
        long begin = integer(offs.get(0), file, at + "data_offsets");
        long end = integer(offs.get(1), file, at + "data_offsets");
        if (begin > end || end > dataBytes) {
            throw new BadFile(file, at + "data_offsets [" + begin + ", " + end + "] lie outside the " + dataBytes
                    + " data bytes");
        }
        if (numel == Long.MAX_VALUE || numel * dtype.bytes() != end - begin) {
            throw new BadFile(file, at + "shape " + Arrays.toString(shape) + " of " + dtype + " is not the "
                    + (end - begin) + " bytes of its data_offsets");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long integer(Object v, Path file, String what) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0
                && n.doubleValue() <= (double) (1L << 53)) {
            return n.longValue();
        }
        throw new BadFile(file, what + ": " + v + " is not a non-negative integer");
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at, Path file) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, at);
            if (r < 0) {
                throw new BadFile(file, "ends early");
            }
            at += r;
        }
    }
}
