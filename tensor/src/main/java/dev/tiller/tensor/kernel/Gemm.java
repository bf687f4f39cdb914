package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.kernel.ref.RefGemm;

import java.lang.foreign.MemorySegment;

/**
 * The GEMM entry point the rest of the engine calls: C = alpha * op(A) op(B) + beta * C (contract in
 * RefGemm.sgemm). Splits C into column panels of fixed width that depend only on the problem size, runs them on
 * {@link Parallel}, and dispatches each panel to SimdGemm or, with -Dtiller.simd=false, to RefGemm. Each element
 * of C is summed in the same order whatever the thread count, so results are bitwise reproducible.
 */
public final class Gemm {
    private static final int PANEL = 64;

    private Gemm() {}

    /** See RefGemm.sgemm. Multithreaded and deterministic. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        int panels = (n + PANEL - 1) / PANEL;
        Parallel.forRange(panels, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int j0 = p * PANEL;
                int nj = Math.min(PANEL, n - j0);
                long bPanel = bOff + (transB ? (long) j0 * ldb : j0);
                if (Kernels.SIMD) {
                    SimdGemm.sgemm(transA, transB, m, nj, k, alpha, a, aOff, lda, b, bPanel, ldb, beta, c, cOff + j0, ldc);
                } else {
                    RefGemm.sgemm(transA, transB, m, nj, k, alpha, a, aOff, lda, b, bPanel, ldb, beta, c, cOff + j0, ldc);
                }
            }
        });
    }
}
