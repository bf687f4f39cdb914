package dev.tiller.tensor.kernel;

/**
 * The triangular shapes of causal attention's products, for which {@link Gemm#sgemmCausal} skips work (row i and
 * column j of C, depth p, all counted from the product's first element).
 */
public enum Causal {
    /** The full product. */
    NONE,
    /** Only C(i, j) with j <= i is needed: tiles wholly above the diagonal are skipped, keeping C's values. */
    LOWER_C,
    /** op(A)(i, p) == 0 for p > i (probabilities, or their gradients, times V, K or Q). */
    LOWER_A,
    /** op(A)(i, p) == 0 for p < i (the transpose of a LOWER_A operand). */
    UPPER_A
}
