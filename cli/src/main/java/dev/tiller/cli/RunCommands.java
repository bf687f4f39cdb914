package dev.tiller.cli;

import dev.tiller.policy.regime.Explain;
import dev.tiller.policy.regime.Replay;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./tiller replay RUN} and {@code ./tiller explain RUN}: commands over a finished (or running) run folder.
 * Replay exits 0 only when every decision and every knob value matched; a missing or unreadable run is exit 2.
 */
final class RunCommands {
    private RunCommands() {}

    static int replay(String[] args, PrintStream out, PrintStream err) {
        Path dir = runDir("replay", args, err);
        if (dir == null) {
            return 2;
        }
        try {
            Replay.Report r = Replay.run(dir);
            out.println(r.summary());
            return r.ok() ? 0 : 1;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("tiller replay: " + e.getMessage());
            return 2;
        }
    }

    static int explain(String[] args, PrintStream out, PrintStream err) {
        Path dir = runDir("explain", args, err);
        if (dir == null) {
            return 2;
        }
        try {
            String text = Explain.run(dir);
            out.print(text.endsWith("\n") ? text : text + "\n");
            return 0;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("tiller explain: " + e.getMessage());
            return 2;
        }
    }

    /** The run folder named by the only argument, or null after saying what is wrong. */
    private static Path runDir(String command, String[] args, PrintStream err) {
        if (args.length != 1) {
            err.println("usage: ./tiller " + command + " RUN   (a run folder, e.g. runs/gpt-jdk-util-20261203-120000)");
            return null;
        }
        Path dir = Path.of(args[0]);
        for (String f : new String[] {"config.json", "metrics.jsonl", "events.jsonl"}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                err.println("tiller " + command + ": " + dir + " is not a run folder (no " + f + ")");
                return null;
            }
        }
        return dir;
    }
}
