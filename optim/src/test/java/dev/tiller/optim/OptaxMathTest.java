package dev.tiller.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The two precisions Optax mixes, derived by hand from Python's and JAX's arithmetic. */
class OptaxMathTest {
    @Test
    void oneMinusIsTakenFromTheDecimalLikeAPythonFloat() {
        // Python: 1 - 0.999 = 0.0010000000000000009, which rounds to float32 0.001f; 1f - 0.999f would be 0.00100004673
        assertEquals(0.001f, Scalars.oneMinus(0.999f));
        assertEquals(0.1f, Scalars.oneMinus(0.9f));
        assertEquals(0.01f, Scalars.oneMinus(0.99f));
        assertEquals(1f, Scalars.oneMinus(0f));
        assertEquals(0f, Scalars.oneMinus(1f));
        assertEquals(0.001f, Scalars.oneMinus(0.999f), "cached value is the same");
    }

    @Test
    void biasCorrectionStaysInFloat32LikeJax() {
        // JAX: decay ** count with decay weakly typed to float32 0.999f, so 1 - 0.999f^1 = 0.00100004673f
        assertEquals(1f - 0.999f, OptaxMath.biasCorrection(0.999f, 1));
        assertEquals(1f - (float) Math.pow(0.9f, 3), OptaxMath.biasCorrection(0.9f, 3));
    }

    @Test
    void warmupIsLinearFromZeroThenConstant() {
        assertEquals(0f, OptaxMath.warmupConstant(0.5f, 5, 0));
        assertEquals(0.2f, OptaxMath.warmupConstant(0.5f, 5, 2), 1e-7f);
        assertEquals(0.5f, OptaxMath.warmupConstant(0.5f, 5, 5));
        assertEquals(0.5f, OptaxMath.warmupConstant(0.5f, 5, 99));
        assertEquals(0.5f, OptaxMath.warmupConstant(0.5f, 0, 0), "no warm-up");
    }
}
