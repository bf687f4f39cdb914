package dev.tiller.tensor;

/**
 * Thrown when an op receives operands whose shapes do not fit. The message names the op, what it expected,
 * what it got and, where one is likely, a hint: {@code "matmul: expected a: (M, K), b: (K, N); got a=(32, 64),
 * b=(128, 64); hint: did you mean b.t()?"}.
 */
public class ShapeMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** op: the op's name; expected: the rule; shapes: the offending shapes in operand order; hint may be null. */
    public ShapeMismatchException(String op, String expected, String got, String hint) {
        super(op + ": expected " + expected + "; got " + got + (hint == null ? "" : "; hint: " + hint));
    }
}
