package dev.tiller.policy.checkpoint;

import dev.tiller.policy.state.StateCodec;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * One checkpoint on disk: a folder holding tensors.bin (every tensor's elements, little-endian, dense, row-major, each
 * starting at a multiple of 64 bytes) and manifest.json, {@code {"body":{...},"crc32c":"hhhhhhhh"}} with the CRC32C
 * of the body's exact bytes. The body holds the format and its version, the Tiller and JDK versions, the data file's
 * length, per tensor its name, dtype, shape, offset, length and CRC32C, and the caller's state object.
 *
 * <p>Writing is atomic: everything goes to a temporary folder beside the target, data first and the manifest last,
 * each file fsynced, then the folder, which is renamed to its name, and the parent folder is fsynced. A crash at
 * any point leaves either the whole checkpoint or no folder of that name (plus a temporary folder that
 * {@link CheckpointRing} deletes on its next start). Nothing is ever overwritten in place.
 *
 * <p>Reading trusts nothing: the manifest's size is bounded before it is read, its checksum checked before it is
 * parsed, every length and offset checked against the data file's size before any tensor is allocated, and every
 * tensor's checksum checked. Any failure is a {@link CheckpointException} naming the file and the tensor or field.
 * No Java serialization and no reflection are involved: the reader builds only tensors and JSON values.
 */
public final class CheckpointFile {
    public static final String FORMAT = "tiller-checkpoint";
    public static final int VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String DATA = "tensors.bin";
    /** Manifests above this are refused unread: a real one holds a few kilobytes per controller and tensor. */
    public static final long MAX_MANIFEST_BYTES = 64L << 20;
    private static final int ALIGN = 64;
    private static final String HEAD = "{\"body\":";
    private static final String TAIL_START = ",\"crc32c\":\"";
    private static final int TAIL_LENGTH = TAIL_START.length() + 8 + 3;     // hex, quote, brace, newline
    private static final int CHUNK = 1 << 24;

    private CheckpointFile() {}

    /** A checkpoint read back: its folder, its state object and its tensors (freed by close). */
    public record Loaded(Path dir, StateCodec.Reader state, Map<String, Tensor> tensors, long step, Arena arena)
            implements AutoCloseable {
        /** The tensor saved under name; a checkpoint that lacks it is named in the error. */
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new CheckpointException(dir.resolve(DATA), "holds no tensor '" + name + "'");
            }
            return t;
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /**
     * Writes a checkpoint named name in parent: tensors (any layout; saved dense in this order) and state, the
     * caller's JSON object, under step. Returns the committed folder. On an I/O error nothing named name exists
     * afterwards, the temporary folder is removed where possible, and the error says which file failed.
     */
    public static Path write(Path parent, String name, long step, Map<String, Tensor> tensors,
                             Map<String, Object> state, Storage storage) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("checkpoints are little-endian; this machine is big-endian");
        }
        Path target = parent.resolve(name);
        if (Files.exists(target)) {
            throw new IOException(target + " exists; checkpoints are never overwritten");
        }
        Path tmp = parent.resolve(CheckpointRing.TEMP_PREFIX + name + "-" + ProcessHandle.current().pid() + "-"
                + System.nanoTime());
        Files.createDirectories(parent);
        Files.createDirectory(tmp);
        try {
            List<Object> entries = new ArrayList<>();
            long length;
            try (Storage.Sink data = storage.create(tmp.resolve(DATA))) {
                length = writeData(data, tensors, entries);
                data.sync();
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("format", FORMAT);
            body.put("version", VERSION);
            body.put("tiller", tillerVersion());
            body.put("java", Runtime.version().toString());
            body.put("step", step);
            body.put("data_file", DATA);
            body.put("data_bytes", length);
            body.put("tensors", entries);
            body.put("state", state);
            byte[] text = manifest(Json.write(body));
            try (Storage.Sink m = storage.create(tmp.resolve(MANIFEST))) {
                m.write(ByteBuffer.wrap(text));
                m.sync();
            }
            storage.syncDirectory(tmp);
            storage.rename(tmp, target);
            try {
                storage.syncDirectory(parent);
            } catch (IOException e) {
                // the rename may not be durable: undo it, so a failed save never leaves a checkpoint behind
                storage.rename(target, tmp);
                throw e;
            }
            return target;
        } catch (IOException | RuntimeException e) {
            CheckpointRing.deleteQuietly(tmp);
            throw e;
        }
    }

    private static long writeData(Storage.Sink out, Map<String, Tensor> tensors, List<Object> entries)
            throws IOException {
        long pos = 0;
        ByteBuffer pad = ByteBuffer.allocate(ALIGN);
        try (Arena scratch = Arena.ofConfined()) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                long gap = (ALIGN - pos % ALIGN) % ALIGN;
                if (gap > 0) {
                    out.write(pad.clear().limit((int) gap));
                    pos += gap;
                }
                MemorySegment bytes = dense(t, scratch);
                CRC32C crc = new CRC32C();
                for (long off = 0; off < bytes.byteSize(); off += CHUNK) {
                    ByteBuffer b = bytes.asSlice(off, Math.min(CHUNK, bytes.byteSize() - off)).asByteBuffer();
                    crc.update(b.duplicate());
                    out.write(b);
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", e.getKey());
                entry.put("dtype", t.dtype().name());
                entry.put("shape", t.shape());
                entry.put("offset", pos);
                entry.put("bytes", bytes.byteSize());
                entry.put("crc32c", hex(crc.getValue()));
                entries.add(entry);
                pos += bytes.byteSize();
            }
        }
        return pos;
    }

    /** t's elements as dense bytes: a slice of its own memory when contiguous, else a copy in scratch. */
    private static MemorySegment dense(Tensor t, Arena scratch) {
        long n = t.numel() * t.dtype().bytes();
        if (t.isContiguous()) {
            return t.segment().asSlice(t.offset() * t.dtype().bytes(), n);
        }
        Tensor c = Tensor.allocate(Allocators.arena(scratch), t.dtype(), t.shape());
        c.copyFrom(t);
        return c.segment().asSlice(0, n);
    }

    private static byte[] manifest(String body) {
        CRC32C crc = new CRC32C();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        crc.update(b);
        return (HEAD + body + TAIL_START + hex(crc.getValue()) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String hex(long crc) {
        return String.format(Locale.ROOT, "%08x", crc);
    }

    private static String tillerVersion() {
        String v = CheckpointFile.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    // ---------------------------------------------------------------- reading

    /** The manifest body of dir, checked (size, checksum, JSON, format, version) but no tensor read. */
    public static StateCodec.Reader manifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        byte[] raw;
        try {
            long size = Files.size(file);
            if (size > MAX_MANIFEST_BYTES) {
                throw new CheckpointException(file, size + " bytes; a manifest holds at most " + MAX_MANIFEST_BYTES);
            }
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "missing (the checkpoint was never committed)");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read it (" + e.getMessage() + ")", e);
        }
        String text = new String(raw, StandardCharsets.ISO_8859_1);     // byte for byte; the checksum is of bytes
        if (raw.length < HEAD.length() + TAIL_LENGTH || !text.startsWith(HEAD)
                || !text.startsWith(TAIL_START, raw.length - TAIL_LENGTH) || !text.endsWith("\"}\n")) {
            throw new CheckpointException(file, "not a Tiller manifest (truncated, or its frame is damaged)");
        }
        String hex = text.substring(raw.length - TAIL_LENGTH + TAIL_START.length(), raw.length - 3);
        long want;
        try {
            want = Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            throw new CheckpointException(file, "its checksum '" + hex + "' is not hexadecimal");
        }
        CRC32C crc = new CRC32C();
        crc.update(raw, HEAD.length(), raw.length - TAIL_LENGTH - HEAD.length());
        if (crc.getValue() != want || !hex.equals(hex(want))) {
            throw new CheckpointException(file, "checksum mismatch (CRC32C " + hex(crc.getValue()) + ", recorded "
                    + hex + "): the manifest is corrupt");
        }
        String body = new String(raw, HEAD.length(), raw.length - TAIL_LENGTH - HEAD.length(),
                StandardCharsets.UTF_8);
        StateCodec.Reader r;
        try {
            r = StateCodec.read(Json.parse(body, file.toString()), file.toString());
            r.only("format", "version", "tiller", "java", "step", "data_file", "data_bytes", "tensors", "state");
            if (!FORMAT.equals(r.s("format"))) {
                throw new CheckpointException(file, "format '" + r.s("format") + "', not " + FORMAT);
            }
            if (r.l("version") != VERSION) {
                throw new CheckpointException(file, "format version " + r.l("version") + "; this Tiller reads version "
                        + VERSION);
            }
            if (!DATA.equals(r.s("data_file"))) {
                throw new CheckpointException(file, "data_file '" + r.s("data_file") + "', not " + DATA);
            }
        } catch (IllegalArgumentException e) {
            throw e instanceof CheckpointException c ? c : new CheckpointException(file, e.getMessage(), e);
        }
        return r;
    }

    /** Reads and checks the checkpoint in dir; see the class comment. */
    public static Loaded read(Path dir) {
        StateCodec.Reader m = manifest(dir);
        Path manifestFile = dir.resolve(MANIFEST);
        Path data = dir.resolve(DATA);
        record Entry(String name, DType dtype, int[] shape, long offset, long bytes, long crc) {}
        List<Entry> entries = new ArrayList<>();
        long length;
        long step;
        try {
            length = m.l("data_bytes", 0, Long.MAX_VALUE);
            step = m.l("step", 0, Long.MAX_VALUE);
            for (StateCodec.Reader t : m.list("tensors", x -> x)) {
                t.only("name", "dtype", "shape", "offset", "bytes", "crc32c");
                String name = t.s("name");
                DType dtype = dtype(t.s("dtype"), t.where() + " (" + name + ")");
                long[] dims = t.longs("shape");
                int[] shape = new int[dims.length];
                long numel = 1;
                for (int i = 0; i < dims.length; i++) {
                    if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                        throw new StateCodec.BadState(t.where() + " (" + name + "): dimension " + dims[i]);
                    }
                    shape[i] = (int) dims[i];
                    numel = Math.multiplyExact(numel, dims[i]);
                }
                long bytes = t.l("bytes", 0, length);
                long offset = t.l("offset", 0, length);
                if (Math.multiplyExact(numel, dtype.bytes()) != bytes || offset + bytes > length) {
                    throw new StateCodec.BadState(t.where() + " (" + name + "): shape " + Arrays.toString(shape)
                            + " of " + dtype + " is not " + bytes + " bytes at offset " + offset + " within "
                            + length);
                }
                long crc;
                try {
                    crc = Long.parseLong(t.s("crc32c"), 16);
                } catch (NumberFormatException e) {
                    throw new StateCodec.BadState(t.where() + " (" + name + "): crc32c is not hexadecimal");
                }
                entries.add(new Entry(name, dtype, shape, offset, bytes, crc));
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CheckpointException(manifestFile, e.getMessage(), e);
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry a = byOffset.get(i - 1);
            if (a.offset() + a.bytes() > byOffset.get(i).offset()) {
                throw new CheckpointException(manifestFile, "tensors '" + a.name() + "' and '"
                        + byOffset.get(i).name() + "' overlap");
            }
        }
        if (entries.stream().map(Entry::name).distinct().count() != entries.size()) {
            throw new CheckpointException(manifestFile, "a tensor name appears twice");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size != length) {
                throw new CheckpointException(data, size + " bytes, but the manifest records " + length
                        + (size < length ? " (truncated)" : ""));
            }
            long end = 0;
            for (Entry e : byOffset) {                   // the bytes between tensors are the writer's zero padding
                checkPadding(ch, end, e.offset(), data, e.name());
                end = e.offset() + e.bytes();
            }
            checkPadding(ch, end, length, data, "(end of file)");
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                Tensor t = Tensor.allocate(Allocators.arena(arena), e.dtype(), e.shape());
                MemorySegment dst = t.segment().asSlice(t.offset() * e.dtype().bytes(), e.bytes());
                CRC32C crc = new CRC32C();
                for (long off = 0; off < e.bytes(); off += CHUNK) {
                    ByteBuffer b = dst.asSlice(off, Math.min(CHUNK, e.bytes() - off)).asByteBuffer();
                    long at = e.offset() + off;
                    while (b.hasRemaining()) {
                        int n = ch.read(b, at);
                        if (n < 0) {
                            throw new CheckpointException(data, "ends inside tensor '" + e.name() + "'");
                        }
                        at += n;
                    }
                    b.flip();
                    crc.update(b);
                }
                if (crc.getValue() != e.crc()) {
                    throw new CheckpointException(data, "tensor '" + e.name() + "' is corrupt (CRC32C "
                            + hex(crc.getValue()) + ", recorded " + hex(e.crc()) + ")");
                }
                out.put(e.name(), t);
            }
            return new Loaded(dir, m.obj("state"), Collections.unmodifiableMap(out), step, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(data, "missing");
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(data, "cannot read it (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            arena.close();
            throw e instanceof CheckpointException c ? c : new CheckpointException(manifestFile, e.getMessage(), e);
        }
    }

    /** Fails unless the bytes [from, to) of the data file are zeros (at most ALIGN - 1 of them). */
    private static void checkPadding(FileChannel ch, long from, long to, Path data, String before)
            throws IOException {
        if (to - from >= ALIGN) {
            throw new CheckpointException(data, (to - from) + " unaccounted bytes before tensor '" + before + "'");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (to - from));
        while (b.hasRemaining()) {
            if (ch.read(b, from + b.position()) < 0) {
                throw new CheckpointException(data, "ends inside the padding before tensor '" + before + "'");
            }
        }
        for (int i = 0; i < b.limit(); i++) {
            if (b.get(i) != 0) {
                throw new CheckpointException(data, "corrupt padding before tensor '" + before + "'");
            }
        }
    }

    private static DType dtype(String s, String where) {
        for (DType d : DType.values()) {
            if (d.name().equals(s)) {
                return d;
            }
        }
        throw new StateCodec.BadState(where + ": unknown dtype '" + s + "'");
    }
}
