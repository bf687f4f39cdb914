package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Newton-Schulz keeps the singular vectors and maps each singular value s of G / ||G||_F through
 * p(x) = a x + b x^3 + c x^5 five times. The singular values of the result are therefore known from those of G,
 * computed independently here in double (eigenvalues of G G^T by Jacobi).
 */
class NewtonSchulzTest {
    private static final float A = 3.4445f;
    private static final float B = -4.775f;
    private static final float C = 2.0315f;

    private static double p5(double x) {
        for (int i = 0; i < 5; i++) {
            double x2 = x * x;
            x = A * x + B * x2 * x + C * x2 * x2 * x;
        }
        return x;
    }

    /** Singular values of a row-major (m, n) matrix, ascending, via the eigenvalues of the smaller Gram matrix. */
    static double[] singularValues(float[] g, int m, int n) {
        boolean wide = m <= n;
        int r = Math.min(m, n);
        double[] gram = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int k = 0; k < Math.max(m, n); k++) {
                    s += wide ? (double) g[i * n + k] * g[j * n + k] : (double) g[k * n + i] * g[k * n + j];
                }
                gram[i * r + j] = s;
            }
        }
        double[] ev = SymmetricEigen.decompose(gram, r).values();
        for (int i = 0; i < r; i++) {
            ev[i] = Math.sqrt(Math.max(0, ev[i]));
        }
        Arrays.sort(ev);
        return ev;
    }

    @Test
    void singularValuesFollowTheQuinticAndStayInItsBand() {
        qt().withFixedSeed(20261125L).withExamples(60)
                .forAll(integers().between(1, 24), integers().between(1, 24), longs().all())
                .checkAssert((m, n, seed) -> {
                    Tensor g = Tensor.normal(seed, 0, 0f, 1f, m, n);
                    float[] gv = g.toFloatArray();
                    double fro = 0;
                    for (float x : gv) {
                        fro += (double) x * x;
                    }
                    fro = Math.sqrt(fro);
                    double[] s = singularValues(gv, m, n);
                    Tensor o = Tensor.zeros(m, n);
                    new NewtonSchulz(m, n).orthogonalize(g.segment(), g.offset(), o.segment(), o.offset(), A, B, C, 5,
                            1e-7f);
                    double[] so = singularValues(o.toFloatArray(), m, n);
                    // the band: p5 over the interval the normalised singular values lie in
                    double lo = Double.POSITIVE_INFINITY;
                    double hi = 0;
                    double xmin = s[0] / fro;
                    double xmax = s[s.length - 1] / fro;
                    for (int i = 0; i <= 2000; i++) {
                        double y = p5(xmin + (xmax - xmin) * i / 2000.0);
                        lo = Math.min(lo, y);
                        hi = Math.max(hi, y);
                    }
                    double[] want = new double[s.length];
                    for (int i = 0; i < s.length; i++) {
                        want[i] = p5(s[i] / fro);
                    }
                    Arrays.sort(want);
                    // float32 products: each of the 5 iterations adds ~K u relative error per entry, amplified by
                    // p's slope (at most ~a = 3.4) per iteration for small x; 5e-4 covers K <= 24 comfortably
                    double tol = 5e-4;
                    for (int i = 0; i < s.length; i++) {
                        assertEquals(want[i], so[i], tol, "singular value " + i + " of (" + m + ", " + n + ")");
                        assertTrue(so[i] >= lo - tol && so[i] <= hi + tol,
                                "singular value " + so[i] + " outside [" + lo + ", " + hi + "]");
                    }
                    // p's fixed-point behaviour keeps every value that started above ~1e-3 well away from 0 and
                    // below 1.2: the "close to orthogonal" band of PyTorch's coefficients
                    if (xmin > 1e-3) {
                        assertTrue(lo > 0.3 && hi < 1.25, "band [" + lo + ", " + hi + "] for xmin " + xmin);
                    }
                });
    }

    @Test
    void zeroMatrixStaysZero() {
        Tensor g = Tensor.zeros(3, 4);
        Tensor o = Tensor.full(5f, 3, 4);
        new NewtonSchulz(3, 4).orthogonalize(g.segment(), g.offset(), o.segment(), o.offset(), A, B, C, 5, 1e-7f);
        for (float v : o.toFloatArray()) {
            assertEquals(0f, v);
        }
    }

    @Test
    void tallAndWideGiveTransposedResults() {
        Tensor g = Tensor.normal(3, 0, 0f, 1f, 7, 3);
        Tensor gt = g.t().contiguous();
        Tensor o = Tensor.zeros(7, 3);
        Tensor ot = Tensor.zeros(3, 7);
        new NewtonSchulz(7, 3).orthogonalize(g.segment(), g.offset(), o.segment(), o.offset(), A, B, C, 5, 1e-7f);
        new NewtonSchulz(3, 7).orthogonalize(gt.segment(), gt.offset(), ot.segment(), ot.offset(), A, B, C, 5, 1e-7f);
        float[] a = o.t().contiguous().toFloatArray();
        float[] b = ot.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), "element " + i);
        }
    }
}
