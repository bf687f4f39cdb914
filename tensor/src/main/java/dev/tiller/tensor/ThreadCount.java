package dev.tiller.tensor;

/**
 * Thread counts checked against the machine, apart from {@link Parallel} so that a launcher can check
 * {@code -Dtiller.threads} before Parallel's pool starts (a bad value there would fail in its static initialiser).
 */
public final class ThreadCount {
    private ThreadCount() {}

    /**
     * The most threads a pool may have: 4 per available processor, at least 4 (so 1, 2 and 4 threads can be compared
     * anywhere); beyond the cores, more threads only spin.
     */
    public static int max() {
        return Math.max(4, 4 * Runtime.getRuntime().availableProcessors());
    }

    /** text as a thread count; an error names what (e.g. "--threads"), the text and the allowed range. */
    public static int parse(String text, String what) {
        String allowed = "an integer from 1 to " + max() + " (this machine has "
                + Runtime.getRuntime().availableProcessors() + " processors)";
        int n;
        try {
            n = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": must be " + allowed + ", got '" + text + "'");
        }
        if (n < 1 || n > max()) {
            throw new IllegalArgumentException(what + ": must be " + allowed + ", got " + n);
        }
        return n;
    }
}
