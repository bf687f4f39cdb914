package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.kernel.ref.RefGemm;

import java.lang.foreign.MemorySegment;

/**
 * The GEMM entry point the rest of the engine calls: C = alpha * op(A) op(B) + beta * C (contract in
 * RefGemm.sgemm). Cuts C into a grid of tiles whose sizes depend only on M and N, runs the tiles on
 * {@link Parallel}, and dispatches each to SimdGemm or, with -Dtiller.simd=false, to RefGemm. A single product
 * (the common case) with fewer rows than columns, or a square one with row-major op(A), runs one column band per
 * thread, each packing its own columns of op(B); any other single product first packs op(B) once, its chunks side
 * by side on the threads, and its tiles share it; a batch tiles each product with private packing. SimdGemm sums
 * every element of C in an order that depends only on K, so results are bitwise identical for any thread count and
 * either path.
 */
public final class Gemm {
    /**
     * Largest tile height. In a batch every tile packs its own rows of op(A) and columns of op(B), so smaller tiles
     * mean more repacking: B is packed once per row of tiles, A once per column of tiles (a single product packs
     * op(B) once for all its tiles). 528 is a multiple of every SimdGemm.MR (4, 8) a little above 512, so products of
     * up to 528 rows pack op(B) once and larger ones split into near-equal tiles of about 512 rows (1024 rows: two).
     */
    static final int TILE_M = 528;
    /** Largest tile width: one packed B block (SimdGemm.NC). */
    static final int TILE_N = SimdGemm.NC;
    /** Fewest tiles a product is cut into when its rows allow, so 2 to 4 threads have work to balance. */
    static final int MIN_TILES = 4;
    /** Smallest tile height worth splitting down to. */
    static final int MIN_TILE_M = 8 * SimdGemm.MR;
    /** Fewest NR-column micro-panels in a column band (a single product with fewer rows than columns). */
    static final int MIN_BAND_PANELS = 2;

    /**
     * Largest op(B) packed whole, in floats (64 MiB); larger ones go through the tiled path, which packs one
     * (KC x NC) block at a time. The buffer belongs to the calling thread and is kept for its next product.
     */
    static final long MAX_PACKED_B = 16L << 20;
    private static final ThreadScratch PACKED_B = new ThreadScratch();

    private Gemm() {}

    /**
     * One product shaped as {@code causal} says, on the calling thread only (it is meant for the per-slice products
     * of attention, which run inside a parallel loop over slices). C(i, j) for the computed part is the full
     * product's value, in its summation order: LOWER_A and UPPER_A leave out only terms whose op(A) factor is zero,
     * which for finite op(B) changes no bits. LOWER_C leaves C above the diagonal as it was. Small products, and
     * -Dtiller.simd=false, compute the full product instead, which meets the same contract.
     */
    public static void sgemmCausal(Causal causal, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                                   float beta, MemorySegment c, long cOff, int ldc) {
        if (!Kernels.SIMD) {
            RefGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (m == 0 || n == 0 || k == 0 || (long) m * n * k <= SimdGemm.SMALL
                || SimdGemm.wholeBSize(k, n) > MAX_PACKED_B) {
            SimdGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        float[] bp = PACKED_B.get((int) SimdGemm.wholeBSize(k, n));
        SimdGemm.packWholeB(transB, b, bOff, ldb, k, n, bp);
        SimdGemm.sgemmPacked(causal, transA, m, n, k, alpha, a, aOff, lda, null, bp, n, 0, beta, c, cOff, ldc);
    }

    /**
     * See RefGemm.sgemm: C = alpha * op(A) op(B) + beta * C, row-major, op(A): (M, K), op(B): (K, N), C: (M, N),
     * offsets and leading dims in elements; beta == 0 overwrites C ignoring its old values (NaN included).
     * Multithreaded; the result does not depend on the thread count.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        sgemmBatched(transA, transB, m, n, k, alpha, a, new long[] {aOff}, lda, b, new long[] {bOff}, ldb,
                beta, c, new long[] {cOff}, ldc);
    }

    /**
     * A batch of GEMMs with one geometry: for each q, C_q = alpha * op(A_q) op(B_q) + beta * C_q with A_q at
     * element offset aOffs[q] of a, B_q at bOffs[q] of b, C_q at cOffs[q] of c (the three arrays have equal length;
     * A and B offsets may repeat, for broadcast operands, but the C_q must not overlap). The tiles of all the
     * products share one parallel loop, so a batch of small products still uses every thread. Same bits for any
     * thread count.
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    MemorySegment a, long[] aOffs, int lda, MemorySegment b, long[] bOffs, int ldb,
                                    float beta, MemorySegment c, long[] cOffs, int ldc) {
        int count = cOffs.length;
        if (m == 0 || n == 0 || count == 0) {
            return;
        }
        boolean single = count == 1 && Kernels.SIMD && k > 0 && (long) m * n * k > SimdGemm.SMALL;
        boolean bands = single && (m < n || m == n && !transA) && Parallel.canSplit()
                && n >= 2 * MIN_BAND_PANELS * SimdGemm.NR;
        if (single && !bands && SimdGemm.wholeBSize(k, n) <= MAX_PACKED_B) {
            sgemmPackedB(transA, transB, m, n, k, alpha, a, aOffs[0], lda, b, bOffs[0], ldb, beta, c, cOffs[0], ldc);
            return;
        }
        int tm;
        int tn;
        if (bands) {
            // One product with fewer rows than columns (a linear layer's forward and input-gradient products on a
            // batch of a few hundred rows), or a square one whose op(A) packs by row copies: one column band per
            // thread (more row bands only when threads outnumber the bands), in one parallel loop. Each band's
            // SimdGemm.sgemm packs its own columns of op(B) one (KC x NC) block at a time into its thread's
            // workspace and passes all the rows of op(A) over it, so each thread keeps its B block in its own L2 and
            // packs no column another thread packs (only op(A), no larger than op(B) here, is packed by every band),
            // where sgemmPackedB's shared op(B) would be read by every row band from L3. A transposed square op(A)
            // stays on sgemmPackedB: packing it transposes, which every band would repeat.
            int panels = ceilDiv(n, SimdGemm.NR);
            int threads = Parallel.threads();
            int colBands = Math.min(threads, panels / MIN_BAND_PANELS);
            int rowBands = Math.max(1, Math.min(threads / colBands, m / MIN_TILE_M));
            tm = roundUp(ceilDiv(m, rowBands), SimdGemm.MR);
            tn = ceilDiv(panels, colBands) * SimdGemm.NR;
        } else {
            // Balanced grid: rowBlocks x colBlocks tiles of tm x tn (the last row / column of tiles may be
            // smaller). More row blocks (not column blocks) when there are too few tiles: repacking B is a vector
            // copy, while packing A transposes it.
            int colBlocks = ceilDiv(n, TILE_N);
            int rowBlocks = Math.max(ceilDiv(m, TILE_M),
                    Math.min(ceilDiv(MIN_TILES, colBlocks), Math.max(1, m / MIN_TILE_M)));
            tm = roundUp(ceilDiv(m, rowBlocks), SimdGemm.MR);
            tn = roundUp(ceilDiv(n, colBlocks), SimdGemm.NR);
        }
        int rows = ceilDiv(m, tm);
        int cols = ceilDiv(n, tn);
        int perMatrix = rows * cols;
        Parallel.forRange(Math.multiplyExact(count, perMatrix), 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int q = t / perMatrix;
                int tile = t % perMatrix;
                int i0 = (tile / cols) * tm;
                int j0 = (tile % cols) * tn;
                int mi = Math.min(tm, m - i0);
                int nj = Math.min(tn, n - j0);
                long aTile = aOffs[q] + (transA ? i0 : (long) i0 * lda);
                long bTile = bOffs[q] + (transB ? (long) j0 * ldb : j0);
                long cTile = cOffs[q] + (long) i0 * ldc + j0;
                if (Kernels.SIMD) {
                    SimdGemm.sgemm(transA, transB, mi, nj, k, alpha, a, aTile, lda, b, bTile, ldb, beta, c, cTile, ldc);
                } else {
                    RefGemm.sgemm(transA, transB, mi, nj, k, alpha, a, aTile, lda, b, bTile, ldb, beta, c, cTile, ldc);
                }
            }
        });
    }

    /**
     * One product, op(B) packed once: threads pack its column ranges side by side into one shared buffer, then
     * split C into tiles that each pack only their rows of op(A). Tiling C in sgemmBatched packs op(B) once per row
     * of tiles (twice for a 1024 x 1024 product) and op(A) once per column of tiles; here each is packed once, and
     * tiles are full-width row bands unless too few rows leave threads idle. Same bits as sgemmBatched.
     */
    private static void sgemmPackedB(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                     MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                                     float beta, MemorySegment c, long cOff, int ldc) {
        float[] bp = PACKED_B.get((int) SimdGemm.wholeBSize(k, n));
        // Packing chunks: one K block by up to NC columns, at least MIN_TILES of them when the columns allow.
        // Each column band of tiles packs op(A) again, so a call that runs inline (one thread, or inside a worker,
        // as conv's per-image products) keeps whole rows. Tiling never changes the bits.
        int minTiles = Parallel.canSplit() ? MIN_TILES : 1;
        int kBlocks = ceilDiv(k, SimdGemm.KC);
        int width = Math.min(TILE_N, roundUp(ceilDiv(n, ceilDiv(minTiles, kBlocks)), SimdGemm.NR));
        int groups = ceilDiv(n, width);
        Parallel.forRange(kBlocks * groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                int pc = (g / groups) * SimdGemm.KC;
                int jc = (g % groups) * width;
                SimdGemm.packWholeB(transB, b, bOff, ldb, k, n, pc, jc, Math.min(width, n - jc), bp);
            }
        });
        // Tiles: row bands, plus column bands when rows are too few to give threads work.
        int rowBlocks = Math.max(ceilDiv(m, TILE_M), Math.min(minTiles, Math.max(1, m / MIN_TILE_M)));
        int panels = ceilDiv(n, SimdGemm.NR);
        int colBlocks = Math.min(panels, ceilDiv(minTiles, rowBlocks));
        int tm = roundUp(ceilDiv(m, rowBlocks), SimdGemm.MR);
        int tn = ceilDiv(panels, colBlocks) * SimdGemm.NR;
        int rows = ceilDiv(m, tm);
        int cols = ceilDiv(n, tn);
        Parallel.forRange(rows * cols, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int i0 = (t / cols) * tm;
                int j0 = (t % cols) * tn;
                long aTile = aOff + (transA ? i0 : (long) i0 * lda);
                SimdGemm.sgemmPacked(Causal.NONE, transA, Math.min(tm, m - i0), Math.min(tn, n - j0), k, alpha, a,
                        aTile, lda, null, bp, n, j0, beta, c, cOff + (long) i0 * ldc + j0, ldc);
            }
        });
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }
}
