package dev.tiller.models.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX format of MNIST-style datasets (plain or .gz): a magic number 0x0000TTDD (TT the element type,
 * DD the number of dims), DD big-endian int32 dims, then the data row-major. Supports unsigned bytes (0x08), the
 * type every MNIST-family file uses, and signed bytes, int16, int32, float32, float64 (converted to float).
 */
public final class Idx {
    /** The file's dims and its values as floats (unsigned bytes stay 0..255). */
    public record Array(int[] dims, float[] values) {}

    private Idx() {}

    /**
     * Reads file. The header's dims are checked against the bytes the file holds (a .gz file's by the uncompressed
     * size its trailer records, so .gz files of 4 GiB or more uncompressed are refused) before anything is allocated:
     * a header claiming more values than the file holds is an error naming both, not an allocation.
     */
    public static Array read(Path file) {
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            long holds = gz ? gzipSize(file) : Files.size(file);
            if (gz) {
                in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            }
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            if ((magic >>> 16) != 0) {
                throw new IllegalArgumentException(file + ": not an IDX file (magic 0x" + Integer.toHexString(magic)
                        + "; expected 0x0000TTDD)");
            }
            int type = (magic >>> 8) & 0xff;
            int rank = magic & 0xff;
            int[] dims = new int[rank];
            long n = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = d.readInt();
                if (dims[i] < 0) {
                    throw new IllegalArgumentException(file + ": negative dimension " + dims[i]);
                }
                n = Math.min(n * dims[i], Long.MAX_VALUE / Integer.MAX_VALUE);   // saturates: never wraps
            }
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": " + n + " elements are too many for one array");
            }
            int size = switch (type) {
                case 0x08, 0x09 -> 1;
                case 0x0B -> 2;
                case 0x0C, 0x0D -> 4;
                case 0x0E -> 8;
                default -> throw new IllegalArgumentException(file + ": unknown IDX element type 0x"
                        + Integer.toHexString(type));
            };
            long need = 4 + 4L * rank + n * size;
            if (need > holds) {
                throw new IllegalArgumentException(file + ": its header claims dims " + Arrays.toString(dims) + " ("
                        + need + " bytes" + (gz ? " uncompressed" : "") + "), but the file holds " + holds
                        + " bytes" + (gz ? " uncompressed" : "") + ": truncated or not what it says");
            }
            float[] v = new float[(int) n];
            switch (type) {
                case 0x08 -> {
                    byte[] bytes = d.readNBytes(v.length);
                    if (bytes.length != v.length) {
                        throw new EOFException();
                    }
                    for (int i = 0; i < v.length; i++) {
                        v[i] = bytes[i] & 0xff;
                    }
                }
                case 0x09 -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = d.readByte();
                    }
                }
                case 0x0B -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = d.readShort();
                    }
                }
                case 0x0C -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = d.readInt();
                    }
                }
                case 0x0D -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = d.readFloat();
                    }
                }
                case 0x0E -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) d.readDouble();
                    }
                }
                default -> throw new IllegalArgumentException(file + ": unknown IDX element type 0x"
                        + Integer.toHexString(type));
            }
            return new Array(dims, v);
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + ": truncated IDX file (fewer values than its dims say)", e);
        } catch (ZipException e) {
            throw new IllegalArgumentException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The uncompressed size a gzip file's trailer records (ISIZE, the size modulo 2^32). */
    private static long gzipSize(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            if (ch.size() < 18) {
                throw new EOFException();
            }
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(ch.size() - 4);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read the 4 trailer bytes
            }
            return b.flip().getInt() & 0xffffffffL;
        }
    }
}
