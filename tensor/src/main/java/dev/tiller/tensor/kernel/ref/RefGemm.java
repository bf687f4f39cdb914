package dev.tiller.tensor.kernel.ref;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reference GEMM: slow, obvious, accumulates in double. The ground truth for SimdGemm; same signature. */
public final class RefGemm {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefGemm() {}

    /**
     * C = alpha * op(A) op(B) + beta * C, row-major. op(A): (M, K), op(B): (K, N), C: (M, N).
     * A(i, k) sits at aOff + (transA ? k * lda + i : i * lda + k); likewise B(k, j) with transB; C(i, j) at
     * cOff + i * ldc + j. Offsets and leading dims are in elements. beta == 0 overwrites C (its old values,
     * NaN included, are ignored), as in BLAS.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = a.getAtIndex(F32, aOff + (transA ? (long) p * lda + i : (long) i * lda + p));
                    float bv = b.getAtIndex(F32, bOff + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                    sum += (double) av * bv;
                }
                long ci = cOff + (long) i * ldc + j;
                double old = beta == 0f ? 0 : beta * (double) c.getAtIndex(F32, ci);
                c.setAtIndex(F32, ci, (float) (alpha * sum + old));
            }
        }
    }
}
