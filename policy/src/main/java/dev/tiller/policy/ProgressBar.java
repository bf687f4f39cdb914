package dev.tiller.policy;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line terminal progress bar with rate and ETA, redrawn in place on a terminal; on a pipe (CI, logs) it prints
 * a plain line every {@code every} steps instead, so logs stay readable.
 */
public final class ProgressBar {
    private final PrintStream out;
    private final long total;
    private final boolean tty;
    private final long every;
    private final long started = System.nanoTime();

    public ProgressBar(PrintStream out, long total) {
        this.out = out;
        this.total = total;
        this.tty = System.console() != null && System.getenv("CI") == null;
        this.every = Math.max(1, total / 20);
    }

    /** Shows progress after step (1-based count done) with a status text. */
    public void update(long done, String status) {
        if (!tty && done % every != 0 && done != total) {
            return;
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        double eta = done == 0 ? 0 : elapsed / done * (total - done);
        int width = 24;
        int fill = (int) (width * done / Math.max(1, total));
        String bar = "=".repeat(fill) + (fill < width ? ">" : "") + " ".repeat(Math.max(0, width - fill - 1));
        String line = String.format(Locale.ROOT, "step %d/%d [%s] %3d%% %s | %s elapsed, ETA %s", done, total,
                bar, 100 * done / Math.max(1, total), status, time(elapsed), time(eta));
        if (tty) {
            out.print("\r" + line + "\u001b[K");
            if (done == total) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String time(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
    }
}
