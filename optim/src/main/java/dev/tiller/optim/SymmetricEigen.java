package dev.tiller.optim;

/**
 * Eigendecomposition of a real symmetric matrix in double by cyclic Jacobi rotations (Jacobi 1846; the rotation
 * formulas as in Golub and Van Loan, "Matrix Computations", section 8.5), and the matrix powers built on it.
 * Jacobi is slow for large n (O(n^3) per sweep, a handful of sweeps) but accurate to a few ulps relative to the
 * matrix norm, with orthonormal eigenvectors, which is what Shampoo's preconditioner roots need.
 * Matrices are dense row-major double[n * n]; inputs are not modified.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 100;

    private SymmetricEigen() {}

    /** A = V diag(values) V^T: values[j] belongs to the eigenvector in column j of the row-major vectors. */
    public record Decomposition(int n, double[] values, double[] vectors) {}

    /** Eigenvalues and orthonormal eigenvectors of the symmetric (n, n) matrix a (only symmetric input is valid). */
    public static Decomposition decompose(double[] a, int n) {
        if (a.length != (long) n * n) {
            throw new IllegalArgumentException("SymmetricEigen: expected " + n + " x " + n + " = " + (long) n * n
                    + " values, got " + a.length);
        }
        double[] m = a.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        double total = 0;
        for (double x : m) {
            total += x * x;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += m[p * n + q] * m[p * n + q];
                }
            }
            // converged when the off-diagonal part is at rounding level of the whole matrix
            if (off <= 1e-34 * total || off == 0) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(m, v, n, p, q);
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = m[i * n + i];
        }
        return new Decomposition(n, values, v);
    }

    /**
     * One Jacobi rotation J(p, q, theta) chosen so that (J^T M J)_pq = 0: with tau = (m_qq - m_pp) / (2 m_pq),
     * t = tan(theta) = sign(tau) / (|tau| + sqrt(1 + tau^2)) (the smaller root, |theta| <= pi/4), c = cos, s = sin.
     * M becomes J^T M J and V becomes V J.
     */
    private static void rotate(double[] m, double[] v, int n, int p, int q) {
        double apq = m[p * n + q];
        if (apq == 0) {
            return;
        }
        double app = m[p * n + p];
        double aqq = m[q * n + q];
        double tau = (aqq - app) / (2 * apq);
        double t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        double c = 1 / Math.sqrt(1 + t * t);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            if (k == p || k == q) {
                continue;
            }
            double akp = m[k * n + p];
            double akq = m[k * n + q];
            double nkp = c * akp - s * akq;
            double nkq = s * akp + c * akq;
            m[k * n + p] = nkp;
            m[p * n + k] = nkp;
            m[k * n + q] = nkq;
            m[q * n + k] = nkq;
        }
        m[p * n + p] = app - t * apq;
        m[q * n + q] = aqq + t * apq;
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (int k = 0; k < n; k++) {
            double vkp = v[k * n + p];
            double vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }

    /**
     * A^(-e) = V diag(lambda^(-e)) V^T for a symmetric positive semi-definite a. Eigenvalues below floor (rounding
     * can push an eigenvalue that is >= floor in exact arithmetic slightly under it, or below zero) are raised to
     * floor first, so floor must be > 0.
     */
    public static double[] inversePower(double[] a, int n, double e, double floor) {
        if (!(floor > 0)) {
            throw new IllegalArgumentException("SymmetricEigen: floor must be > 0, got " + floor);
        }
        Decomposition d = decompose(a, n);
        double[] f = new double[n];
        for (int j = 0; j < n; j++) {
            f[j] = StrictMath.pow(Math.max(d.values()[j], floor), -e);
        }
        double[] v = d.vectors();
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = i; k < n; k++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += v[i * n + j] * f[j] * v[k * n + j];
                }
                out[i * n + k] = s;
                out[k * n + i] = s;
            }
        }
        return out;
    }
}
