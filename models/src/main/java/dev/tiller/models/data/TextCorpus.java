package dev.tiller.models.data;

import dev.tiller.tensor.Philox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Byte-level text with a train/validation split; nothing is downloaded.
 * <ul>
 *   <li>{@link #jdkUtil()}: the named corpus {@code jdk-util}, every .java file under java.base/java/util/ in the
 *       running JDK's lib/src.zip, sorted by path; files whose index % 10 == 0 are validation, the rest training;
 *       each split is the files' bytes joined with a newline byte.</li>
 *   <li>{@link #fromPath}: a text file (last 10% of its bytes, cut at a newline, or at 90% exactly in a file with
 *       no newline after it, is validation) or a folder (its regular files sorted by path, split like jdk-util;
 *       a folder of one file is split like a file).</li>
 * </ul>
 */
public record TextCorpus(String name, byte[] train, byte[] validation, int files) {
    /** The jdk-util corpus from the running JDK's src.zip. */
    public static TextCorpus jdkUtil() {
        return jdkModule("jdk-util", "java.base/java/util/");
    }

    /**
     * The .java files under prefix (e.g. "java.base/java/util/", "java.base/java/io/") of the running JDK's
     * src.zip, split by index % 10 == 0 as jdk-util.
     */
    public static TextCorpus jdkModule(String name, String prefix) {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException("corpus " + name + ": the JDK at " + System.getProperty("java.home")
                    + " has no lib/src.zip; install a full JDK that ships its sources (e.g. Temurin 25, which does),"
                    + " or pass a text file or folder with --data PATH");
        }
        try (ZipFile z = new ZipFile(zip.toFile())) {
            List<ZipEntry> entries = new ArrayList<>();
            z.stream().filter(e -> !e.isDirectory() && e.getName().startsWith(prefix) && e.getName().endsWith(".java"))
                    .forEach(entries::add);
            entries.sort(Comparator.comparing(ZipEntry::getName));
            if (entries.isEmpty()) {
                throw new IllegalStateException("corpus " + name + ": no .java files under " + prefix + " in " + zip);
            }
            List<byte[]> contents = new ArrayList<>();
            for (ZipEntry e : entries) {
                try (InputStream in = z.getInputStream(e)) {
                    contents.add(in.readAllBytes());
                }
            }
            return split(name, contents);
        } catch (IOException e) {
            throw new UncheckedIOException("corpus " + name + ": cannot read " + zip, e);
        }
    }

    /**
     * Procedural text that needs nothing installed: lines "a+b=c" and "a*b=c" with random operands below 1000, keyed
     * by (seed, line), about trainBytes of training text and a tenth of that for validation (other lines).
     */
    public static TextCorpus synthetic(long seed, int trainBytes) {
        return new TextCorpus("synthetic", arithmetic(seed, 0, trainBytes), arithmetic(seed, 1L << 40,
                Math.max(1024, trainBytes / 10)), 0);
    }

    private static byte[] arithmetic(long seed, long firstLine, int bytes) {
        StringBuilder b = new StringBuilder(bytes + 32);
        for (long line = firstLine; b.length() < bytes; line++) {
            int x = Philox.below(seed, 0x7E57, 3 * line, 1000);
            int y = Philox.below(seed, 0x7E57, 3 * line + 1, 1000);
            boolean mul = Philox.below(seed, 0x7E57, 3 * line + 2, 2) == 1;
            b.append(x).append(mul ? '*' : '+').append(y).append('=').append(mul ? (long) x * y : x + y).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A text file or a folder of text files. */
    public static TextCorpus fromPath(Path path) {
        try {
            if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(path)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
                if (files.isEmpty()) {
                    throw new IllegalArgumentException("corpus " + path + ": the folder holds no files");
                }
                List<byte[]> contents = new ArrayList<>();
                for (Path f : files) {
                    contents.add(read(f));
                }
                if (contents.size() == 1) {        // one file: split by bytes, or its validation would be all of it
                    return bytes(path.toString(), contents.getFirst());
                }
                return split(path.toString(), contents);
            }
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("corpus " + path + ": no such file or folder");
            }
            return bytes(path.toString(), read(path));
        } catch (IOException e) {
            throw new UncheckedIOException("corpus " + path + ": cannot read", e);
        }
    }

    /** A file's bytes; an unreadable file is an error naming it. */
    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new IllegalArgumentException("corpus file " + f + ": cannot read it (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")", e);
        }
    }

    /**
     * One text as a corpus: the last 10% of its bytes is validation, cut at the first newline from there (text files
     * split between lines), or at exactly 90% when no newline follows (one long line).
     */
    static TextCorpus bytes(String name, byte[] all) {
        int at = (int) (all.length * 0.9);
        int cut = at;
        while (cut < all.length && all[cut] != '\n') {
            cut++;
        }
        if (cut >= all.length - 1) {
            return new TextCorpus(name, Arrays.copyOfRange(all, 0, at), Arrays.copyOfRange(all, at, all.length), 1);
        }
        return new TextCorpus(name, Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut + 1, all.length), 1);
    }

    private static TextCorpus split(String name, List<byte[]> contents) {
        ByteArrayOutputStream train = new ByteArrayOutputStream();
        ByteArrayOutputStream val = new ByteArrayOutputStream();
        for (int i = 0; i < contents.size(); i++) {
            ByteArrayOutputStream dst = i % 10 == 0 ? val : train;
            if (dst.size() > 0) {
                dst.write('\n');
            }
            dst.writeBytes(contents.get(i));
        }
        return new TextCorpus(name, train.toByteArray(), val.toByteArray(), contents.size());
    }
}
