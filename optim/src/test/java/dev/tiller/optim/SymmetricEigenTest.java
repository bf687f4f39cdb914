package dev.tiller.optim;

import dev.tiller.tensor.Philox;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

class SymmetricEigenTest {
    private static final double U = 0x1p-52;

    /** S = B B^T + delta I with B (n, n) standard normal: symmetric positive definite, eigenvalues >= delta. */
    private static double[] spd(int n, long seed, double delta) {
        double[] b = new double[n * n];
        for (int i = 0; i < n * n; i++) {
            b[i] = Philox.normal(seed, 0, i);
        }
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double x = i == j ? delta : 0;
                for (int k = 0; k < n; k++) {
                    x += b[i * n + k] * b[j * n + k];
                }
                s[i * n + j] = x;
            }
        }
        return s;
    }

    private static double[] mul(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aik * b[k * n + j];
                }
            }
        }
        return c;
    }

    private static double frobenius(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void decompositionReconstructsTheMatrixWithOrthonormalVectors() {
        qt().withFixedSeed(20261126L).withExamples(60)
                .forAll(integers().between(1, 16), longs().all())
                .checkAssert((n, seed) -> {
                    double[] s = spd(n, seed, 0);
                    for (int i = 0; i < n; i++) {
                        s[i * n + i] -= 0.5 * n;   // indefinite too
                    }
                    SymmetricEigen.Decomposition d = SymmetricEigen.decompose(s, n);
                    double[] v = d.vectors();
                    double norm = frobenius(s);
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            double vtv = 0;
                            double rec = 0;
                            for (int k = 0; k < n; k++) {
                                vtv += v[k * n + i] * v[k * n + j];
                                rec += v[i * n + k] * d.values()[k] * v[j * n + k];
                            }
                            // Jacobi is backward stable: errors of order (sweeps * n) u relative to ||S||
                            assertEquals(i == j ? 1 : 0, vtv, 100 * n * U, "V^T V at " + i + "," + j);
                            assertEquals(s[i * n + j], rec, 100 * n * U * norm, "V L V^T at " + i + "," + j);
                        }
                    }
                });
    }

    /** (R^(-1/4))^(-4) = R, checked as X X X X R = I for X = R^(-1/4). */
    @Test
    void inverseFourthRootReconstructsTheMatrix() {
        qt().withFixedSeed(20261127L).withExamples(60)
                .forAll(integers().between(1, 12), longs().all())
                .checkAssert((n, seed) -> {
                    double[] r = spd(n, seed, 0.1);
                    double[] x = SymmetricEigen.inversePower(r, n, 0.25, 1e-300);
                    double[] x4r = mul(mul(mul(x, x, n), mul(x, x, n), n), r, n);
                    double[] ev = SymmetricEigen.decompose(r, n).values();
                    double max = 0;
                    double min = Double.POSITIVE_INFINITY;
                    for (double e : ev) {
                        max = Math.max(max, e);
                        min = Math.min(min, e);
                    }
                    double kappa = max / min;
                    // eigenvalue errors ~ n u ||R|| perturb lambda^(-1/4) by a relative ~ n u kappa / 4; the
                    // product of five factors and the O(n) sums add a few times that
                    double tol = 50 * n * U * kappa;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(i == j ? 1 : 0, x4r[i * n + j], tol, "X^4 R at " + i + "," + j);
                        }
                    }
                    // and X is symmetric positive definite: X = X^T, X^2 = R^(-1/2) has a positive diagonal
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(x[i * n + j], x[j * n + i], 0, "symmetry");
                        }
                        assertTrue(x[i * n + i] > 0);
                    }
                });
    }

    @Test
    void diagonalMatrixRootIsElementwise() {
        double[] d = {16, 0, 0, 0, 81, 0, 0, 0, 1e-8};
        double[] x = SymmetricEigen.inversePower(d, 3, 0.25, 1e-4);
        // 16^(-1/4) = 1/2, 81^(-1/4) = 1/3, and 1e-8 is raised to the floor 1e-4 first: (1e-4)^(-1/4) = 10
        assertEquals(0.5, x[0], 1e-15);
        assertEquals(1.0 / 3, x[4], 1e-15);
        assertEquals(10, x[8], 1e-12);
        assertEquals(0, x[1]);
    }
}
