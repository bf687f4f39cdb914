package dev.tiller.conform;

import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads golden-v1 files: {@code {"format": "golden-v1", "cases": [...]}}, one {@link GoldenCase} per case. The
 * reference files that ship with Tiller are class-path resources of this module, so they are found from any working
 * directory and inside the jar; conform/src/main/resources/dev/tiller/conform/golden/README.md describes their
 * origin and format.
 */
public final class GoldenFile {
    /** The shipped reference files, in the order {@code ./tiller conform} runs them. */
    public static final List<String> SHIPPED = List.of("ops.json", "optimizers.json", "schedules.json",
            "clipping.json");

    private GoldenFile() {}

    /**
     * The cases of a shipped file (one of {@link #SHIPPED}). A missing resource is an IOException, never an empty
     * list, so a build that lost its reference data fails instead of checking nothing.
     */
    public static List<GoldenCase> shipped(String name) throws IOException {
        if (!SHIPPED.contains(name)) {
            throw new IllegalArgumentException(name + " is not a shipped reference file (shipped: " + SHIPPED + ")");
        }
        try (InputStream in = GoldenFile.class.getResourceAsStream("golden/" + name)) {
            if (in == null) {
                throw new IOException(name + ": shipped reference file missing from the class path"
                        + " (dev/tiller/conform/golden/" + name + " in tiller-conform)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        }
    }

    /** The cases of a golden-v1 file on disk; label names it in errors. */
    public static List<GoldenCase> read(Path file, String label) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(label + ": no such file");
        }
        return parse(Files.readString(file), label);
    }

    /** Parses and validates a golden-v1 file's envelope; the cases themselves are validated as they run. */
    public static List<GoldenCase> parse(String text, String label) {
        Object root = Json.parse(text, label);
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(label + ": expected a JSON object at the top level");
        }
        if (!"golden-v1".equals(m.get("format"))) {
            throw new IllegalArgumentException(label + ": field 'format': expected \"golden-v1\", got "
                    + m.get("format"));
        }
        if (!(m.get("cases") instanceof List<?> list)) {
            throw new IllegalArgumentException(label + ": field 'cases': expected an array");
        }
        List<GoldenCase> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object c = list.get(i);
            if (!(c instanceof Map<?, ?>)) {
                throw new IllegalArgumentException(label + ": case " + i + ": expected an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) c;
            out.add(new GoldenCase(label, i, fields));
        }
        return out;
    }
}
