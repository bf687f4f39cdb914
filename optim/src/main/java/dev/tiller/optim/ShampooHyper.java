package dev.tiller.optim;

/**
 * Shampoo hyperparameters (Gupta, Koren and Singer 2018, "Shampoo: Preconditioned Stochastic Tensor
 * Optimization"): lr (eta), eps (the statistics start at eps * I; read once, when the optimizer is built),
 * updateFreq (the inverse roots are recomputed at steps 1, 1 + updateFreq, 1 + 2 updateFreq, ...; the statistics
 * grow every step) and exponent: {@link #ORDER_RULE} (0) for the paper's 1/(2k) for an order-k tensor (1/4 for a
 * matrix, 1/2 for a vector), or a fixed e > 0 used for every statistic. Immutable and validated.
 */
public record ShampooHyper(float lr, float eps, int updateFreq, float exponent) {
    /** exponent value meaning "1/(2 * order)", the paper's choice. */
    public static final float ORDER_RULE = 0f;

    public ShampooHyper {
        Check.nonNegative("Shampoo", "lr", lr);
        Check.positive("Shampoo", "eps", eps);
        Check.atLeast("Shampoo", "updateFreq", updateFreq, 1);
        Check.nonNegative("Shampoo", "exponent", exponent);
    }

    /** lr with eps = 1e-4, roots every step, the paper's exponent rule. */
    public static ShampooHyper of(float lr) {
        return new ShampooHyper(lr, 1e-4f, 1, ORDER_RULE);
    }

    public ShampooHyper withLr(float v) {
        return new ShampooHyper(v, eps, updateFreq, exponent);
    }

    public ShampooHyper withUpdateFreq(int v) {
        return new ShampooHyper(lr, eps, v, exponent);
    }

    public ShampooHyper withExponent(float v) {
        return new ShampooHyper(lr, eps, updateFreq, v);
    }

    /** The root exponent e (the preconditioner is H^(-e)) for a tensor of the given order (rank, >= 1). */
    public double exponentFor(int order) {
        return exponent == ORDER_RULE ? 1.0 / (2.0 * order) : exponent;
    }
}
