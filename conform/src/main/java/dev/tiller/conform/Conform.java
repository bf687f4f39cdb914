package dev.tiller.conform;

import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./tiller conform FILE...}: runs every case of golden-v1 files (shared/golden/README.md) and prints one line
 * per case, {@code PASS|FAIL|SKIP kind/name detail}, then exactly {@code N passed, M failed} followed by
 * {@code , K skipped} when any were skipped. Exit status 0 only when nothing failed or was skipped.
 * Any file of that format works, so users can check their own reference cases.
 */
public final class Conform {
    private final Map<String, CaseChecker> checkers = new LinkedHashMap<>();

    /** A runner with the checkers of every kind Tiller implements; kinds not yet built report SKIP. */
    public static Conform standard() {
        Conform c = new Conform();
        c.register("op", dev.tiller.conform.op.OpCases::check);
        c.register("optimizer", dev.tiller.conform.optim.OptimizerCases::check);
        c.register("schedule", dev.tiller.conform.optim.ScheduleCases::check);
        c.register("clip", dev.tiller.conform.optim.ClipCases::check);
        c.register("loss_scale", dev.tiller.conform.optim.ClipCases::check);
        return c;
    }

    /** Adds or replaces the checker for a kind. */
    public void register(String kind, CaseChecker checker) {
        checkers.put(kind, checker);
    }

    /** Runs the files, prints to out; returns the exit status. */
    public int run(List<String> files, PrintStream out) {
        if (files.isEmpty()) {
            out.println("usage: ./tiller conform FILE...   (e.g. ./tiller conform ../shared/golden/*.json)");
            return 2;
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (String file : files) {
            List<GoldenCase> cases;
            try {
                cases = load(file);
            } catch (IllegalArgumentException | IOException e) {
                out.println("FAIL file/" + file + "  " + message(e));
                failed++;
                continue;
            }
            for (GoldenCase c : cases) {
                String label;
                CaseResult o;
                try {
                    label = c.kind() + "/" + c.name();
                    CaseChecker checker = checkers.get(c.kind());
                    o = checker == null
                            ? CaseResult.fail(c.error("kind", "unknown kind '" + c.kind() + "' (known: "
                                    + String.join(", ", checkers.keySet()) + ")").getMessage())
                            : checker.check(c);
                } catch (RuntimeException e) {
                    label = (c.has("kind") && c.get("kind") instanceof String k ? k : "?") + "/" + c.name();
                    o = CaseResult.fail(message(e));
                }
                out.println(o.status() + " " + label + (o.detail().isEmpty() ? "" : "  " + o.detail()));
                switch (o.status()) {
                    case PASS -> passed++;
                    case FAIL -> failed++;
                    case SKIP -> skipped++;
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        return failed == 0 && skipped == 0 ? 0 : 1;
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Reads and validates a golden-v1 file's envelope; cases are validated as they run. */
    static List<GoldenCase> load(String file) throws IOException {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            throw new IOException(file + ": no such file");
        }
        Object root = Json.parse(Files.readString(p), file);
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(file + ": expected a JSON object at the top level");
        }
        if (!"golden-v1".equals(m.get("format"))) {
            throw new IllegalArgumentException(file + ": field 'format': expected \"golden-v1\", got "
                    + m.get("format"));
        }
        if (!(m.get("cases") instanceof List<?> list)) {
            throw new IllegalArgumentException(file + ": field 'cases': expected an array");
        }
        java.util.ArrayList<GoldenCase> out = new java.util.ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object c = list.get(i);
            if (!(c instanceof Map<?, ?>)) {
                throw new IllegalArgumentException(file + ": case " + i + ": expected an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) c;
            out.add(new GoldenCase(file, i, fields));
        }
        return out;
    }
}
