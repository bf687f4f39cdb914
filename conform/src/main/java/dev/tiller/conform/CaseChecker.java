package dev.tiller.conform;


/** Runs one kind of golden case (op, optimizer, schedule, clip, loss_scale) against Tiller's implementation. */
@FunctionalInterface
public interface CaseChecker {
    /**
     * Checks c. A malformed case throws IllegalArgumentException from GoldenCase's accessors (naming file, case and
     * field); the runner reports it as a failure.
     */
    CaseResult check(GoldenCase c);
}
