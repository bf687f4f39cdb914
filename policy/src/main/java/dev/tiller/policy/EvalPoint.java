package dev.tiller.policy;

/**
 * Where a run is evaluated: most optimizers are evaluated at the weights they train ({@link #trained()}); an
 * optimizer that trains at one point and averages toward another (Schedule-Free's y and x) names the other here. The
 * trainer enters the point around each evaluation and its end-of-run uses, and leaves it before the next step, so the
 * training bits do not depend on whether, or how often, the run was evaluated.
 *
 * @param <H> the optimizer's hyperparameter record
 */
@FunctionalInterface
public interface EvalPoint<H extends Record> {
    /**
     * Puts the evaluation point into the parameters; last is the record of the last update applied (null before the
     * first). Closing the returned swap puts the trained weights back bit for bit.
     */
    Swap enter(H last);

    /** Undoes one {@link #enter}. */
    @FunctionalInterface
    interface Swap extends AutoCloseable {
        @Override
        void close();
    }

    /** Evaluation at the trained weights: nothing moves. */
    static <H extends Record> EvalPoint<H> trained() {
        return last -> () -> { };
    }
}
