package dev.tiller.policy.probe;

/**
 * The eigenvalue of largest magnitude of a symmetric operator known only through products (a Hessian through
 * Hessian-vector products), by power iteration: v <- H v / |H v|, reporting the Rayleigh quotient v . H v of the last
 * product. Vectors are float arrays per parameter tensor; dot products and norms accumulate in double.
 */
public final class PowerIteration {
    /** out = H v (out is overwritten; v is not changed). */
    @FunctionalInterface
    public interface Product {
        void apply(float[][] v, float[][] out);
    }

    private PowerIteration() {}

    /** iterations products from start (changed in place into the last direction); NaN when a product is non-finite. */
    public static double top(Product h, float[][] start, int iterations) {
        float[][] v = start;
        float[][] hv = new float[v.length][];
        for (int i = 0; i < v.length; i++) {
            hv[i] = new float[v[i].length];
        }
        scale(v, 1 / norm(v));
        double lambda = Double.NaN;
        for (int it = 0; it < iterations; it++) {
            h.apply(v, hv);
            lambda = dot(v, hv);
            double n = norm(hv);
            if (!Double.isFinite(n) || !Double.isFinite(lambda)) {
                return Double.NaN;
            }
            if (n == 0) {
                return 0;
            }
            for (int i = 0; i < v.length; i++) {
                for (int j = 0; j < v[i].length; j++) {
                    v[i][j] = (float) (hv[i][j] / n);
                }
            }
        }
        return lambda;
    }

    static double dot(float[][] a, float[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                s += (double) a[i][j] * b[i][j];
            }
        }
        return s;
    }

    static double norm(float[][] a) {
        return Math.sqrt(dot(a, a));
    }

    static void scale(float[][] a, double s) {
        for (float[] x : a) {
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (x[j] * s);
            }
        }
    }
}
