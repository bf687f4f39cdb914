package dev.tiller.tensor.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Cache sizes as the OS reports them, for block sizes that depend on the machine. Linux lists each cache of CPU 0
 * under /sys/devices/system/cpu/cpu0/cache/index*, with its level, type and size ("1024K"); elsewhere, or when a
 * value cannot be read, the defaults below hold. Read once; a block size derived from them is fixed for the life of
 * the JVM, so results stay the same for any thread count on a given machine.
 */
final class CacheSizes {
    /** The L2 size assumed where none is reported: 512 KiB, the smallest per-core L2 of the CPUs the engine targets. */
    static final long DEFAULT_L2 = 512L << 10;

    private static final Path CACHES = Path.of("/sys/devices/system/cpu/cpu0/cache");

    private CacheSizes() {}

    /** The size in bytes of CPU 0's level-2 data or unified cache, or {@link #DEFAULT_L2}. */
    static long l2Bytes() {
        for (int i = 0; i < 8; i++) {
            Path dir = CACHES.resolve("index" + i);
            try {
                if (!Files.isDirectory(dir)) {
                    break;
                }
                String type = read(dir, "type");
                if (read(dir, "level").equals("2") && !type.equals("Instruction")) {
                    long size = parseSize(read(dir, "size"));
                    return size > 0 ? size : DEFAULT_L2;
                }
            } catch (IOException | SecurityException e) {
                return DEFAULT_L2;
            }
        }
        return DEFAULT_L2;
    }

    /** "1024K" or "1M" or "524288" in bytes; -1 when it is none of these. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * unit;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String read(Path dir, String name) throws IOException {
        return Files.readString(dir.resolve(name)).trim();
    }
}
