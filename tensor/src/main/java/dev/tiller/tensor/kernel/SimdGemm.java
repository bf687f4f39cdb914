package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SIMD GEMM, single-threaded; {@link Gemm} splits work across threads. Twin: RefGemm (same signature and contract).
 * This first version streams rows of B with a broadcast of A(i, p); the packed, register-tiled kernel replaces it.
 */
public final class SimdGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private SimdGemm() {}

    /** See RefGemm.sgemm for the contract. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        float[] row = new float[n];
        float[] brow = new float[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float av = a.getAtIndex(F32, aOff + (transA ? (long) p * lda + i : (long) i * lda + p));
                for (int j = 0; j < n; j++) {
                    brow[j] = b.getAtIndex(F32, bOff + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                }
                FloatVector va = FloatVector.broadcast(S, av);
                int j = 0;
                for (int bound = S.loopBound(n); j < bound; j += S.length()) {
                    FloatVector.fromArray(S, brow, j).fma(va, FloatVector.fromArray(S, row, j)).intoArray(row, j);
                }
                for (; j < n; j++) {
                    row[j] = Math.fma(brow[j], av, row[j]);
                }
            }
            long ci = cOff + (long) i * ldc;
            for (int j = 0; j < n; j++) {
                float old = beta == 0f ? 0f : beta * c.getAtIndex(F32, ci + j);
                c.setAtIndex(F32, ci + j, alpha * row[j] + old);
            }
        }
    }
}
