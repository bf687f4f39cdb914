package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ref.RefGemm;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** SimdGemm and Gemm against their twin RefGemm: every transpose combination, tails, offsets, alpha and beta. */
class GemmTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final double U = 0x1p-24;           // unit roundoff of float32

    /** One random problem: geometry, scalars and the three operands in one arena. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                           MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                           MemorySegment c0, long cOff, int ldc) {
        /** A fresh copy of the initial C, so each implementation starts from the same values. */
        MemorySegment c(Arena arena) {
            MemorySegment c = arena.allocate(c0.byteSize(), 64);
            c.copyFrom(c0);
            return c;
        }

        float aAt(int i, int p) {
            return a.getAtIndex(F32, aOff + (transA ? (long) p * lda + i : (long) i * lda + p));
        }

        float bAt(int p, int j) {
            return b.getAtIndex(F32, bOff + (transB ? (long) j * ldb + p : (long) p * ldb + j));
        }
    }

    private static Problem problem(Arena arena, int m, int n, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean transA = r.nextBoolean();
        boolean transB = r.nextBoolean();
        float[] alphas = {1f, -0.5f, 2.5f};
        float[] betas = {0f, 0f, 1f, -0.75f};
        float alpha = alphas[r.nextInt(alphas.length)];
        float beta = betas[r.nextInt(betas.length)];
        int aRows = transA ? k : m;            // stored shape of A: (aRows, aCols), row-major with lda >= aCols
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = Math.max(1, aCols + r.nextInt(4));
        int ldb = Math.max(1, bCols + r.nextInt(4));
        int ldc = Math.max(1, n + r.nextInt(4));
        long aOff = r.nextInt(8);
        long bOff = r.nextInt(8);
        long cOff = r.nextInt(8);
        MemorySegment a = TestData.segment(arena, (int) (aOff + (long) aRows * lda), seed + 1, -1f, 1f);
        MemorySegment b = TestData.segment(arena, (int) (bOff + (long) bRows * ldb), seed + 2, -1f, 1f);
        int cLen = (int) (cOff + (long) m * ldc);
        MemorySegment c = TestData.segment(arena, cLen, seed + 3, -1f, 1f);
        if (beta == 0f) {                      // beta == 0 must ignore C entirely, NaN included
            for (int i = 0; i < cLen; i++) {
                c.setAtIndex(F32, i, Float.NaN);
            }
        }
        return new Problem(transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    /**
     * Checks got against the reference result ref, element by element. Bound: SimdGemm forms each C(i, j) as an
     * fma chain over each KC block (error <= kc * u * sum|a b| to first order), then per block one rounding for
     * alpha * acc, one for beta * C and one for the add; the reference adds one final rounding to float. So
     * |got - ref| <= (k + 3 * blocks + 2) * u * (|alpha| * sum_p |A(i,p) B(p,j)| + |beta * C0(i,j)|), times
     * 1.01 for the second-order terms. Also checks that C outside the M x N window is untouched.
     */
    private static void assertClose(Problem p, MemorySegment got, MemorySegment ref, String what) {
        int blocks = Math.max(1, (p.k + SimdGemm.KC - 1) / SimdGemm.KC);
        double factor = (p.k + 3.0 * blocks + 2) * U * 1.01;
        for (int i = 0; i < p.m; i++) {
            for (int j = 0; j < p.n; j++) {
                double s = 0;
                for (int q = 0; q < p.k; q++) {
                    s += Math.abs((double) p.aAt(i, q) * p.bAt(q, j));
                }
                long at = p.cOff + (long) i * p.ldc + j;
                double c0 = p.beta == 0f ? 0 : Math.abs(p.beta * (double) p.c0.getAtIndex(F32, at));
                double bound = factor * (Math.abs(p.alpha) * s + c0) + Float.MIN_NORMAL;
                float g = got.getAtIndex(F32, at);
                float r = ref.getAtIndex(F32, at);
                if (!(Math.abs((double) g - r) <= bound)) {
                    fail(what + " " + describe(p) + ": C(" + i + ", " + j + ") = " + g + ", reference " + r
                            + ", bound " + bound);
                }
            }
        }
        for (long at = 0; at < got.byteSize() / 4; at++) {     // elements outside the window keep their value
            long rel = at - p.cOff;
            boolean inside = rel >= 0 && rel / p.ldc < p.m && rel % p.ldc < p.n;
            if (!inside) {
                assertEquals(Float.floatToRawIntBits(p.c0.getAtIndex(F32, at)),
                        Float.floatToRawIntBits(got.getAtIndex(F32, at)), what + " wrote outside C at " + at);
            }
        }
    }

    private static String describe(Problem p) {
        return "(transA=" + p.transA + ", transB=" + p.transB + ", m=" + p.m + ", n=" + p.n + ", k=" + p.k
                + ", alpha=" + p.alpha + ", beta=" + p.beta + ", lda=" + p.lda + ", ldb=" + p.ldb + ", ldc=" + p.ldc
                + ", offsets " + p.aOff + "/" + p.bOff + "/" + p.cOff + ")";
    }

    private static void checkTwin(int m, int n, int k, long seed) {
        try (Arena arena = Arena.ofShared()) {
            Problem p = problem(arena, m, n, k, seed);
            MemorySegment ref = p.c(arena);
            RefGemm.sgemm(p.transA, p.transB, m, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                    p.beta, ref, p.cOff, p.ldc);
            MemorySegment simd = p.c(arena);
            SimdGemm.sgemm(p.transA, p.transB, m, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                    p.beta, simd, p.cOff, p.ldc);
            assertClose(p, simd, ref, "SimdGemm");
            MemorySegment threaded = p.c(arena);
            Gemm.sgemm(p.transA, p.transB, m, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                    p.beta, threaded, p.cOff, p.ldc);
            assertClose(p, threaded, ref, "Gemm");
            if (Kernels.SIMD) {
                // Gemm's tiles (and its op(B) packed once for all of them) sum in SimdGemm's order: same bits.
                assertTrue(TestData.bitwiseEqual(simd.toArray(F32), threaded.toArray(F32)),
                        "Gemm vs SimdGemm bits " + describe(p));
            }
        }
    }

    @Test
    void simdGemmMatchesReferenceOnSmallShapes() {
        // 0..70 per dim crosses MR = 4, NR = 16 (or 32) and the direct path (m n k <= 4096) in every direction.
        qt().withFixedSeed(20261122L).withExamples(250)
                .forAll(integers().between(0, 70), integers().between(0, 70), integers().between(0, 70),
                        longs().between(0, Long.MAX_VALUE / 2))
                .checkAssert(GemmTwinTest::checkTwin);
    }

    /**
     * Gemm.sgemmCausal against the full product: LOWER_A and UPPER_A (op(A) zero past or before the diagonal) give
     * the same bits everywhere; LOWER_C the same bits on and below the diagonal, and above it either C's old value
     * or the full product's. Shapes cross MC and KC so the diagonal meets later blocks.
     */
    private static void checkCausal(int m, int n, int k, long seed) {
        for (Causal causal : Causal.values()) {
            try (Arena arena = Arena.ofShared()) {
                Problem p = problem(arena, m, n, k, seed);
                if (causal == Causal.LOWER_A || causal == Causal.UPPER_A) {
                    for (int i = 0; i < m; i++) {
                        for (int q = 0; q < k; q++) {
                            if (causal == Causal.LOWER_A ? q > i : q < i) {
                                p.a.setAtIndex(F32, p.aOff + (p.transA ? (long) q * p.lda + i : (long) i * p.lda + q),
                                        0f);
                            }
                        }
                    }
                }
                MemorySegment full = p.c(arena);
                Gemm.sgemm(p.transA, p.transB, m, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                        p.beta, full, p.cOff, p.ldc);
                MemorySegment got = p.c(arena);
                Gemm.sgemmCausal(causal, p.transA, p.transB, m, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff,
                        p.ldb, p.beta, got, p.cOff, p.ldc);
                for (long at = 0; at < got.byteSize() / 4; at++) {
                    long rel = at - p.cOff;
                    boolean above = rel >= 0 && rel / p.ldc < m && rel % p.ldc < n && rel % p.ldc > rel / p.ldc;
                    int g = Float.floatToRawIntBits(got.getAtIndex(F32, at));
                    int f = Float.floatToRawIntBits(full.getAtIndex(F32, at));
                    if (g != f && !(causal == Causal.LOWER_C && above
                            && g == Float.floatToRawIntBits(p.c0.getAtIndex(F32, at)))) {
                        fail(causal + " " + describe(p) + ": element " + at + " = " + Float.intBitsToFloat(g)
                                + ", full product " + Float.intBitsToFloat(f));
                    }
                }
            }
        }
    }

    @Test
    void causalProductsMatchTheFullProductWhereTheyCompute() {
        // Attention's shapes (T = 128, head size 64), then shapes past MC, KC and the small-product cut-off.
        int[][] shapes = {
            {128, 128, 64}, {128, 64, 128}, {150, 150, 150}, {300, 70, 300}, {37, 290, 5}, {9, 9, 9},
            {SimdGemm.MC + 9, 70, SimdGemm.KC + 50}, {SimdGemm.KC + 50, SimdGemm.MC + 9, 40},
        };
        for (int s = 0; s < shapes.length; s++) {
            checkCausal(shapes[s][0], shapes[s][1], shapes[s][2], 700 + s);
        }
        qt().withFixedSeed(11L).withExamples(20)
                .forAll(integers().between(1, 200), integers().between(1, 200), integers().between(1, 200),
                        longs().between(0, Long.MAX_VALUE / 2))
                .checkAssert(GemmTwinTest::checkCausal);
    }

    @Test
    void microkernelRowsFollowTheProperty() {
        // The gemm-8-rows Surefire run sets tiller.gemm.mr = 8: this checks it reached SimdGemm, so that run does
        // test the 8-row kernel; by default MR is 8 with 512-bit vectors and 4 otherwise.
        String mr = System.getProperty("tiller.gemm.mr");
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        assertEquals(mr != null ? Integer.parseInt(mr) : lanes >= 16 ? 8 : 4, SimdGemm.MR);
    }

    @Test
    void simdGemmMatchesReferenceAcrossBlocks() {
        // Crosses KC (up to blocks KC + KC + 1), MC, NR and the Gemm tile grid.
        qt().withFixedSeed(7L).withExamples(3)
                .forAll(integers().between(SimdGemm.MC + 1, SimdGemm.MC + 60), integers().between(250, 260),
                        integers().between(SimdGemm.KC + 1, 2 * SimdGemm.KC + 1),
                        longs().between(0, Long.MAX_VALUE / 2))
                .checkAssert(GemmTwinTest::checkTwin);
    }

    @Test
    void gemmMatchesReferenceOnWideAndTallShapes() {
        // Few rows and many columns (Gemm splits columns so threads have work), many rows and few columns, and
        // shapes past Gemm's tile height (528) and NC, with odd tails everywhere.
        int[][] shapes = {{5, 1100, 37}, {33, 700, 260}, {1100, 21, 45}, {601, 530, 70}, {3, 2000, 300}};
        for (int s = 0; s < shapes.length; s++) {
            checkTwin(shapes[s][0], shapes[s][1], shapes[s][2], 900 + s);
        }
    }

    @Test
    void gemmIsBitwiseIdenticalForOneTwoAndFourThreads() {
        int m = 257;
        int n = 300;
        int k = SimdGemm.KC + 1;           // two K blocks: alpha 0.5 and beta 1 add them through C
        int old = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            for (int combo = 0; combo < 4; combo++) {
                boolean transA = (combo & 1) != 0;
                boolean transB = (combo & 2) != 0;
                MemorySegment a = TestData.segment(arena, m * k, 11 + combo, -1f, 1f);
                MemorySegment b = TestData.segment(arena, k * n, 12 + combo, -1f, 1f);
                float[][] results = new float[3][];
                int[] threads = {1, 2, 4};
                for (int t = 0; t < threads.length; t++) {
                    Parallel.setThreads(threads[t]);
                    MemorySegment c = TestData.segment(arena, m * n, 13, -1f, 1f);
                    Gemm.sgemm(transA, transB, m, n, k, 0.5f, a, 0, transA ? m : k, b, 0, transB ? k : n,
                            1f, c, 0, n);
                    results[t] = c.toArray(F32);
                }
                assertTrue(TestData.bitwiseEqual(results[0], results[1]), "1 vs 2 threads, combo " + combo);
                assertTrue(TestData.bitwiseEqual(results[0], results[2]), "1 vs 4 threads, combo " + combo);
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void batchedGemmMatchesOneProductAtATime() {
        // Three (5, 7) @ (7, 9) products; the second and third share B (offset repeated, as for a broadcast).
        int m = 5;
        int n = 9;
        int k = 7;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = TestData.segment(arena, 3 * m * k, 21, -1f, 1f);
            MemorySegment b = TestData.segment(arena, 2 * k * n, 22, -1f, 1f);
            MemorySegment batched = arena.allocate(3L * m * n * 4, 64);
            long[] aOffs = {0, m * k, 2 * m * k};
            long[] bOffs = {0, k * n, k * n};
            long[] cOffs = {0, m * n, 2 * m * n};
            Gemm.sgemmBatched(false, false, m, n, k, 1f, a, aOffs, k, b, bOffs, n, 0f, batched, cOffs, n);
            MemorySegment single = arena.allocate(3L * m * n * 4, 64);
            for (int q = 0; q < 3; q++) {
                Gemm.sgemm(false, false, m, n, k, 1f, a, aOffs[q], k, b, bOffs[q], n, 0f, single, cOffs[q], n);
            }
            assertTrue(TestData.bitwiseEqual(batched.toArray(F32), single.toArray(F32)));
        }
    }

    @Test
    void goldenTwoByTwoWithAlphaAndBeta() {
        // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]: A B = [[19, 22], [43, 50]] (1*5+2*7 = 19, 1*6+2*8 = 22,
        // 3*5+4*7 = 43, 3*6+4*8 = 50). With alpha = 2, beta = -1 and C0 = [[1, 1], [1, 1]]: [[37, 43], [85, 99]].
        // Run at 64 x 64 (zero elsewhere) so the packed path is the one tested, not the direct loop.
        int s = 64;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(s * s * 4L, 64);
            MemorySegment b = arena.allocate(s * s * 4L, 64);
            MemorySegment c = arena.allocate(s * s * 4L, 64);
            float[] av = {1, 2, 3, 4};
            float[] bv = {5, 6, 7, 8};
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    a.setAtIndex(F32, i * s + j, av[i * 2 + j]);
                    b.setAtIndex(F32, i * s + j, bv[i * 2 + j]);
                    c.setAtIndex(F32, i * s + j, 1f);
                }
            }
            SimdGemm.sgemm(false, false, s, s, s, 2f, a, 0, s, b, 0, s, -1f, c, 0, s);
            assertEquals(37f, c.getAtIndex(F32, 0));
            assertEquals(43f, c.getAtIndex(F32, 1));
            assertEquals(85f, c.getAtIndex(F32, s));
            assertEquals(99f, c.getAtIndex(F32, s + 1));
            assertEquals(0f, c.getAtIndex(F32, 2));
        }
    }
}
