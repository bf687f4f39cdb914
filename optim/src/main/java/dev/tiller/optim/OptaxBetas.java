package dev.tiller.optim;

/**
 * The decay scalars of an Optax-family moment update at step t: b1 and b2, their complements 1 - b (from the
 * decimal the user wrote, see Scalars.oneMinus) and the float32 bias corrections 1 - b^t (OptaxMath).
 */
record OptaxBetas(float b1, float c1, float bc1, float b2, float c2, float bc2) {
    static OptaxBetas of(float b1, float b2, long t) {
        return new OptaxBetas(b1, Scalars.oneMinus(b1), OptaxMath.biasCorrection(b1, t), b2, Scalars.oneMinus(b2),
                OptaxMath.biasCorrection(b2, t));
    }

    /** b1 m + (1 - b1) g, in Optax's operand order. */
    float firstMoment(float m, float g) {
        return c1 * g + b1 * m;
    }

    /** b2 v + (1 - b2) g^2, in Optax's operand order. */
    float secondMoment(float v, float g) {
        return c2 * (g * g) + b2 * v;
    }
}
