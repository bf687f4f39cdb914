package dev.tiller.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Element-wise comparison of a first step with the algorithm's closed form evaluated in double. The tolerance is
 * relative to the step size: Optax (and these classes) take 1 - beta from the decimal value but 1 - beta^t in
 * float32, so a bias-corrected first moment differs from the exact closed form by up to about ulp(beta) / (1 - beta)
 * (5e-5 for beta = 0.999); the rest is float32 rounding of p (ulp(p)).
 */
final class LawCheck {
    private LawCheck() {}

    static void close(String what, float[] p0, float[] p1, double[] expectedDelta, double stepScale, double rel) {
        for (int i = 0; i < p0.length; i++) {
            double want = p0[i] + expectedDelta[i];
            double tol = rel * stepScale + 2 * Math.ulp(Math.abs(p0[i]) + Math.abs((float) expectedDelta[i]));
            int k = i;
            assertTrue(Math.abs(p1[i] - want) <= tol, () -> what + ": element " + k + " p0=" + p0[k] + " p1=" + p1[k]
                    + " expected " + want + " (tol " + tol + ")");
        }
    }
}
