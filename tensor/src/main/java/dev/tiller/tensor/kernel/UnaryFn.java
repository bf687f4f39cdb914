package dev.tiller.tensor.kernel;

/**
 * The element-wise float32 functions that {@link SimdUnary} and its twin {@code RefUnary} evaluate, with the meaning
 * of the two scalar parameters p and q each one takes (unused parameters are ignored). Forward definitions follow
 * PyTorch; see {@code dev.tiller.tensor.op.Unary} for the public ops and their gradient conventions.
 */
public enum UnaryFn {
    /** -x. */
    NEG,
    /** |x|. */
    ABS,
    /** e^x. */
    EXP,
    /** ln x (NaN below 0, -inf at 0). */
    LOG,
    /** sqrt(x). */
    SQRT,
    /** 1 / sqrt(x). */
    RSQRT,
    /** x * x. */
    SQUARE,
    /** 1 / x. */
    RECIPROCAL,
    /** tanh(x). */
    TANH,
    /** 1 / (1 + e^-x), evaluated without overflow for either sign. */
    SIGMOID,
    /** max(x, 0); NaN stays NaN. */
    RELU,
    /** x * sigmoid(x). */
    SILU,
    /** erf(x), the error function. */
    ERF,
    /** 0.5 x (1 + erf(x / sqrt 2)) (PyTorch approximate='none'). */
    GELU,
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch approximate='tanh'). */
    GELU_TANH,
    /** p = beta, q = threshold: x where beta x > threshold, else ln(1 + e^(beta x)) / beta. */
    SOFTPLUS,
    /** p = negative slope: x where x > 0, else p x. */
    LEAKY_RELU,
    /** p = exponent: x^p as StrictMath.pow. */
    POW,
    /** p = lo, q = hi: min(max(x, lo), hi) (so lo > hi gives hi everywhere, as PyTorch); NaN stays NaN. */
    CLAMP,
    /** p = c: x + c. */
    ADD_SCALAR,
    /** p = c: x * c. */
    MUL_SCALAR
}
