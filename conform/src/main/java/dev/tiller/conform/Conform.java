package dev.tiller.conform;

import dev.tiller.conform.op.OpCases;
import dev.tiller.conform.optim.ClipCases;
import dev.tiller.conform.optim.OptimizerCases;
import dev.tiller.conform.optim.ScheduleCases;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./tiller conform [FILE...]}: runs every case of golden-v1 files (the format of golden/README.md beside the
 * shipped cases) and prints one line per case, {@code PASS|FAIL|SKIP kind/name detail}, then exactly
 * {@code N passed, M failed} followed by {@code , K skipped} when any were skipped. Exit status 0 only when nothing
 * failed or was skipped; an unreadable file, or one with no cases, is a failure of its own. Without files it runs
 * the reference cases shipped in this module ({@link GoldenFile#SHIPPED}); any file of that format works, so users
 * can check their own reference cases.
 */
public final class Conform {
    private final Map<String, CaseChecker> checkers = new LinkedHashMap<>();

    /** A runner with the checkers of every kind Tiller implements; kinds not yet built report SKIP. */
    public static Conform standard() {
        Conform c = new Conform();
        c.register("op", OpCases::check);
        c.register("optimizer", OptimizerCases::check);
        c.register("schedule", ScheduleCases::check);
        c.register("clip", ClipCases::check);
        c.register("loss_scale", ClipCases::check);
        return c;
    }

    /** Adds or replaces the checker for a kind. */
    public void register(String kind, CaseChecker checker) {
        checkers.put(kind, checker);
    }

    /** A file to run: its label in the output, and how to read its cases. */
    private record Source(String label, Loader loader) {}

    @FunctionalInterface
    private interface Loader {
        List<GoldenCase> load() throws IOException;
    }

    /** Runs the files, or every shipped file when files is empty; prints to out and returns the exit status. */
    public int run(List<String> files, PrintStream out) {
        List<Source> sources = new ArrayList<>();
        if (files.isEmpty()) {
            for (String name : GoldenFile.SHIPPED) {
                sources.add(new Source(name, () -> GoldenFile.shipped(name)));
            }
        } else {
            for (String file : files) {
                sources.add(new Source(file, () -> GoldenFile.read(Path.of(file), file)));
            }
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (Source source : sources) {
            List<GoldenCase> cases;
            try {
                cases = source.loader().load();
            } catch (IllegalArgumentException | IOException e) {
                out.println("FAIL file/" + source.label() + "  " + message(e));
                failed++;
                continue;
            }
            if (cases.isEmpty()) {                // a file that checks nothing must not read as a pass
                out.println("FAIL file/" + source.label() + "  no cases in the file");
                failed++;
                continue;
            }
            for (GoldenCase c : cases) {
                CaseResult o = check(c);
                out.println(o.status() + " " + label(c) + (o.detail().isEmpty() ? "" : "  " + o.detail()));
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

    /**
     * Checks one case with the checker of its kind. An unknown kind, a malformed case or an exception from the
     * implementation is a FAIL naming the cause, so one bad case never stops the run.
     */
    public CaseResult check(GoldenCase c) {
        try {
            CaseChecker checker = checkers.get(c.kind());
            return checker == null
                    ? CaseResult.fail(c.error("kind", "unknown kind '" + c.kind() + "' (known: "
                            + String.join(", ", checkers.keySet()) + ")").getMessage())
                    : checker.check(c);
        } catch (RuntimeException e) {
            return CaseResult.fail(message(e));
        }
    }

    /** "kind/name" as the output prints it ("?" for a case without a readable kind). */
    public static String label(GoldenCase c) {
        return (c.has("kind") && c.get("kind") instanceof String k ? k : "?") + "/" + c.name();
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
