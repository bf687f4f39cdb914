package dev.tiller.tensor.kernel;

/**
 * The element-wise float32 functions of two operands that {@link SimdBinary} and {@code RefBinary} evaluate.
 * Comparisons return 1f for true and 0f for false; any comparison with NaN is false except NE (IEEE).
 */
public enum BinaryFn {
    /** a + b. */
    ADD,
    /** a - b. */
    SUB,
    /** a * b. */
    MUL,
    /** a / b. */
    DIV,
    /** a^b as StrictMath.pow. */
    POW,
    /** max(a, b); NaN if either is NaN (PyTorch maximum). */
    MAXIMUM,
    /** min(a, b); NaN if either is NaN (PyTorch minimum). */
    MINIMUM,
    /** a == b. */
    EQ,
    /** a != b. */
    NE,
    /** a &lt; b. */
    LT,
    /** a &lt;= b. */
    LE,
    /** a &gt; b. */
    GT,
    /** a &gt;= b. */
    GE
}
