package dev.tiller.bench;

/**
 * {@code ./tiller bench [NAME...]}: runs the reference workloads of shared/bench/WORKLOADS.md and prints one
 * {@code key value} pair a line, the same keys torch_ref.py prints, so the two can be compared in one run.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("tiller bench: no workloads yet");
        System.exit(2);
    }
}
