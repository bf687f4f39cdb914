package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * SIMD GEMM, single-threaded; {@link Gemm} splits C into tiles across threads. Twin: RefGemm (same signature and
 * contract). The structure is the Goto/BLIS one (Goto and van de Geijn, "Anatomy of High-Performance Matrix
 * Multiplication", TOMS 2008; Van Zee and van de Geijn, "BLIS", TOMS 2015): op(B) is packed per (KC x NC) block into
 * NR-column micro-panels, op(A) per (MC x KC) block into MR-row micro-panels, both zero-padded at the M, N tails,
 * and a register-tiled microkernel keeps an MR x NR block of C in MR * 2 vector accumulators while it streams one
 * A micro-panel and one B micro-panel from the packed float[] buffers. An A micro-panel keeps its MR rows whole
 * (kc floats each, one after another), so packing row-major A is a copy per row; the kernel broadcasts from MR
 * sequential streams. {@link #sgemm} packs op(B) itself; {@link #sgemmPacked} runs on an op(B) that
 * {@link #packWholeB} packed once for several callers (Gemm shares it across its tiles). Both run each K block
 * through {@link #blockProduct}.
 *
 * <p>Summation order. With alpha == 1 and beta 0 or 1 (nearly every call: plain products, and accumulation into C
 * with beta 1), C(i, j) is one fma chain over k = 0, 1, ..., k - 1 that starts from 0 (beta 0) or from C(i, j)
 * (beta 1): each KC block loads the tile of C into its accumulators and stores them back, so no block spills
 * through memory to add. Otherwise C(i, j) is the fma chain over k within each KC block, and the blocks are added
 * to C in order as alpha * acc + beta * C (the first block applies beta, later ones add). Either order depends only
 * on k, alpha and beta, never on where (i, j) sits in a tile, so any tiling of C by the caller gives the same bits.
 *
 * <p>JIT: each method here must compile on its own; the launcher and Surefire pass
 * {@code -XX:CompileCommand=dontinline,dev.tiller.tensor.kernel.SimdGemm::*}. A microkernel inlined into its caller
 * can push the combined compilation past C2's node limit, and then the Vector API's calls in it go unintrinsified
 * (every vector boxed, the product several times slower, at random from run to run). For the same reason the code
 * uses one float species everywhere (VectorApiConfinementTest checks it): C2 keeps one type profile per shared
 * FloatVector method, and a second species in that profile defeats intrinsification. Results are the same either
 * way.
 *
 * <p>Packing buffers belong to the calling thread (a ThreadLocal, allocated once per thread), so a call allocates
 * nothing after warm-up. Tiny problems skip packing and use a direct fma loop.
 */
public final class SimdGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /**
     * Rows of the register tile: MR * 2 accumulators, 2 B vectors and the broadcasts must fit the vector registers
     * with the accumulators covering the FMA latency. 256-bit vectors (16 registers): MR = 4, since a fifth row
     * pushes an accumulator through the stack every step. 512-bit vectors (32 registers): MR = 8, since 8
     * accumulators cannot keep two FMA pipes busy over their latency. -Dtiller.gemm.mr=4 or 8 overrides it (the
     * tests run the 8-row kernel on 256-bit machines that way). kernel4 and kernel8 are the two microkernels.
     */
    static final int MR = rows(Integer.getInteger("tiller.gemm.mr", L >= 16 ? 8 : 4));
    /** Columns of the register tile: two vectors (16 floats with AVX2, 32 with AVX-512). */
    static final int NR = 2 * L;
    /**
     * Depth of a packed block. Each K block after the first reloads every tile of C, long evicted by then, so the
     * products of a model's layers (k up to 1024) run as one block and never reload C, and deeper ones amortize it
     * over more fma steps; the B micro-panel (KC x NR) then streams from L2, which keeps up since each of its loads
     * feeds MR * 2 fmas. Changing it changes the bits of products with alpha != 1 or beta outside {0, 1} and
     * k > KC (the class comment's order), and the packed layouts SimdConv writes.
     */
    static final int KC = 1024;
    /** Per-core L2 in bytes, as the OS reports it ({@link CacheSizes}). */
    private static final long L2 = CacheSizes.l2Bytes();
    /**
     * Rows of a packed A block: MC x KC floats take 3/8 of the core's L2 (1 MiB: 96 rows), so the block stays
     * resident while B micro-panels and C tiles pass through the rest. A multiple of MR, 24 to 384 rows.
     */
    static final int MC = Math.clamp(L2 * 3 / 8 / ((long) KC * Float.BYTES) / 8 * 8, 24, 384);
    /** Depths of a transposed op(A) packed together: one cache line of a packed row. */
    static final int TP = 16;
    /**
     * Columns of a packed B block: KC x NC floats = 2 MiB, streamed from L2 / L3 one (KC, NR) micro-panel at a time
     * while the MC / MR micro-panels of A pass over it. A multiple of NR.
     */
    static final int NC = 512 / NR * NR;
    /** Below this many multiply-adds (m * n * k) packing costs more than it saves: direct loop. */
    static final long SMALL = 4096;

    /** Per-thread packing buffers, sized once for the largest block, and the settings of the current K block. */
    private static final class Workspace {
        final float[] a = new float[MC * KC];       // packed op(A) block: (MC / MR) micro-panels of (KC, MR)
        final float[] b = new float[KC * NC];       // packed op(B) block: (NC / NR) micro-panels of (KC, NR)
        final float[] tile = new float[MR * NR];    // spilled accumulators, before the write-back to C
        /** A column of op(B), or TP rows of a transposed op(A) (each mc long), unscattered. */
        final float[] line = new float[Math.max(KC, TP * MC)];
        /**
         * alpha and the current K block's beta, for the microkernel's write-back. An array, read after the loop:
         * passed as float arguments they stay live in vector registers through the loop, and C2 spills an
         * accumulator on every step instead.
         */
        final float[] scal = new float[2];
        private float beta;
        /** alpha 1 and beta 0 or 1: C(i, j) is one fma chain over all of k. */
        boolean chain;
        /** This K block's accumulators start from C's tile (a chain going on from C). */
        boolean load;
        /** A full tile may go from the registers straight to C (nothing of C left to add). */
        boolean direct;

        /** Starts a product C = alpha * op(A) op(B) + beta * C. */
        void product(float alpha, float beta) {
            this.beta = beta;
            chain = alpha == 1f && (beta == 0f || beta == 1f);
            scal[0] = alpha;
        }

        /** Sets load, direct and scal[1] for the K block at depth pc: later blocks accumulate into C. */
        void kBlock(int pc) {
            float betaBlock = pc == 0 ? beta : 1f;
            load = chain && betaBlock == 1f;
            scal[1] = load ? 0f : betaBlock;         // C already in the sums: not added again
            direct = beta == 0f || load;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private SimdGemm() {}

    private static int rows(int mr) {
        if (mr != 4 && mr != 8) {
            throw new IllegalArgumentException("tiller.gemm.mr must be 4 or 8 (the written-out microkernels); got "
                    + mr);
        }
        return mr;
    }

    /** See RefGemm.sgemm for the contract. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        if ((long) m * n * k <= SMALL) {
            direct(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        Workspace ws = WORKSPACE.get();
        ws.product(alpha, beta);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                ws.kBlock(pc);
                packB(transB, b, bOff, ldb, pc, kc, jc, nc, ws.b, 0, ws.line);
                blockProduct(ws, Causal.NONE, transA, m, nc, pc, kc, a, aOff, lda, null, ws.b, 0, c, cOff + jc, ldc);
            }
        }
    }

    /** Floats of op(B) (k x n) packed whole by {@link #packWholeB}: n padded to a multiple of NR. */
    static long wholeBSize(int k, int n) {
        return (long) k * paddedColumns(n);
    }

    /** n rounded up to a multiple of NR: the row length of each K block in a whole packed op(B). */
    static int paddedColumns(int n) {
        return (n + NR - 1) / NR * NR;
    }

    /**
     * Packs K block pc (rows pc..pc+KC, pc a multiple of KC) and columns jc..jc+nc (jc a multiple of NR) of op(B)
     * (k x n) into bp as {@link #sgemmPacked} reads it: K block pc starts at pc * paddedColumns(n), and within it
     * the micro-panel of columns j..j+NR at j * kc. Different blocks and column ranges write disjoint parts of bp,
     * so threads can pack them side by side.
     */
    static void packWholeB(boolean transB, MemorySegment b, long bOff, int ldb, int k, int n, int pc, int jc,
                           int nc, float[] bp) {
        int kc = Math.min(KC, k - pc);
        packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp, pc * paddedColumns(n) + jc * kc, WORKSPACE.get().line);
    }

    /** All of op(B) (k x n) packed whole into bp on the calling thread: every K block, all columns. */
    static void packWholeB(boolean transB, MemorySegment b, long bOff, int ldb, int k, int n, float[] bp) {
        for (int pc = 0; pc < k; pc += KC) {
            packWholeB(transB, b, bOff, ldb, k, n, pc, 0, n, bp);
        }
    }

    /**
     * C(0..m, 0..n) = alpha * op(A) Bw(:, j0..j0+n) + beta * C, where Bw is an op(B) of nb columns that
     * {@link #packWholeB} packed whole into bp, and j0 is a multiple of NR. op(A) comes packed whole in aw by
     * {@link #packWholeA} (all m rows), or, with aw null, from a, packed here once per (MC x KC) block. Same
     * contract, summation order and bits as {@link #sgemm}; many row ranges of one product can run on one packed
     * op(B), which sgemm would pack again for each.
     *
     * <p>causal (see {@link Causal}; row i and column j counted from this call's C(0, 0), so j0 must be 0 unless
     * causal is NONE) skips work for one of attention's triangular products. LOWER_C skips the tiles wholly above
     * the diagonal, leaving that part of C as it was. LOWER_A and UPPER_A shorten each row tile's K range to the p
     * where its rows of op(A) may be non-zero: the skipped terms are exact zeros times op(B), so finite inputs give
     * the same bits as the full product.
     */
    static void sgemmPacked(Causal causal, boolean transA, int m, int n, int k, float alpha, MemorySegment a,
                            long aOff, int lda, float[] aw, float[] bp, int nb, int j0, float beta, MemorySegment c,
                            long cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        Workspace ws = WORKSPACE.get();
        ws.product(alpha, beta);
        int nPad = paddedColumns(nb);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            ws.kBlock(pc);
            blockProduct(ws, causal, transA, m, n, pc, kc, a, aOff, lda, aw, bp, pc * nPad + j0 * kc, c, cOff, ldc);
        }
    }

    /**
     * One K block of a product, after ws.kBlock(pc): C(0..m, 0..n) takes the terms p in [pc, pc + kc) of op(A)
     * times the packed op(B) block at bBlock of bp (micro-panel jr / NR at bBlock + jr * kc). op(A) is packed here
     * per (MC x KC) block from a, or read from aw (packed whole by packWholeA; a, aOff and lda then unused). causal
     * as in {@link #sgemmPacked}.
     */
    private static void blockProduct(Workspace ws, Causal causal, boolean transA, int m, int n, int pc, int kc,
                                     MemorySegment a, long aOff, int lda, float[] aw, float[] bp, int bBlock,
                                     MemorySegment c, long cOff, int ldc) {
        float[] ap = aw == null ? ws.a : aw;
        int mPad = paddedRows(m);
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            int aBlock = 0;
            if (aw == null) {
                packA(transA, a, aOff, lda, ic, mc, pc, kc, ap, 0, ws.line);
            } else {
                aBlock = pc * mPad + ic * kc;
            }
            for (int jr = 0; jr < n; jr += NR) {
                int nr = Math.min(NR, n - jr);
                int bPanel = bBlock + jr * kc;
                // LOWER_C: from the first row tile whose last row, ic + ir + MR - 1, reaches column jr (ic and jr are
                // multiples of MR, so that is ir = jr - ic)
                int ir0 = causal == Causal.LOWER_C ? Math.max(0, jr - ic) : 0;
                for (int ir = ir0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir);
                    int p0 = 0;
                    int len = kc;
                    if (causal == Causal.LOWER_A) {
                        len = Math.clamp(ic + ir + mr - pc, 0, kc);    // p <= the tile's last row
                    } else if (causal == Causal.UPPER_A) {
                        p0 = Math.clamp(ic + ir - pc, 0, kc);          // p >= the tile's first row
                        len = kc - p0;
                    }
                    tile(ws, len, kc, ap, aBlock + ir * kc + p0, bp, bPanel + p0 * NR, c,
                            cOff + (long) (ic + ir) * ldc + jr, ldc, mr, nr);
                }
            }
        }
    }

    /**
     * One mr x nr tile of C (mr <= MR, nr <= NR) over len depths of its packed panels (kernel4's arguments, with the
     * K block's settings from ws): the one place that picks the microkernel. kernel8 takes a full 8-row tile in an
     * fma chain (ws.chain and ws.direct); everything else runs as kernel4 calls of up to 4 rows, which give each
     * element the same chain.
     */
    private static void tile(Workspace ws, int len, int stride, float[] ap, int aBase, float[] bp, int bBase,
                             MemorySegment c, long cTile, int ldc, int mr, int nr) {
        if (MR == 8 && mr == 8 && nr == NR && ws.chain && ws.direct) {
            kernel8(len, stride, ap, aBase, bp, bBase, ws.load, c, cTile, ldc);
            return;
        }
        kernel4(len, stride, ap, aBase, bp, bBase, ws.scal, ws.load, ws.direct, c, cTile, ldc, Math.min(4, mr), nr,
                ws.tile);
        if (mr > 4) {
            kernel4(len, stride, ap, aBase + 4 * stride, bp, bBase, ws.scal, ws.load, ws.direct, c, cTile + 4L * ldc,
                    ldc, mr - 4, nr, ws.tile);
        }
    }

    /**
     * The 4 x NR microkernel: acc = sum_p Ap(:, p) Bp(p, :) for p in [0, len) over 4 rows of a packed A
     * micro-panel (stride floats apart, from aBase) and one packed B micro-panel (NR floats a p, from bBase), then
     * C(0..mr, 0..nr) = alpha * acc + beta * C (beta == 0: C ignored), mr <= 4.
     * With load (alpha == 1), acc starts from C's tile instead of 0 and C = acc. alpha = scal[0], beta = scal[1].
     * direct: a full tile may be stored from the registers (beta == 0). alpha and beta arrive in an array, read
     * only after the loop (Workspace.scal says why).
     */
    private static void kernel4(int len, int stride, float[] ap, int aBase, float[] bp, int bBase, float[] scal,
                                boolean load, boolean direct, MemorySegment c, long cTile, int ldc, int mr, int nr,
                                float[] tile) {
        // The accumulators start from C's tile (load) or from zeros. A full tile loads C straight into them, since
        // loads in stage() are not hot enough per call for C2 to intrinsify; zeros and edge tiles come through the
        // tile array, since zero vectors here make C2 lay out the loop's registers worse.
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load && mr == 4 && nr == NR) {
            long row = cTile * Float.BYTES;
            long step = (long) ldc * Float.BYTES;
            long half = (long) L * Float.BYTES;
            c00 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c01 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c10 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c11 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c20 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c21 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c30 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c31 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
        } else {
            stage(load, c, cTile, ldc, mr, nr, tile);
            c00 = FloatVector.fromArray(S, tile, 0);
            c01 = FloatVector.fromArray(S, tile, L);
            c10 = FloatVector.fromArray(S, tile, NR);
            c11 = FloatVector.fromArray(S, tile, NR + L);
            c20 = FloatVector.fromArray(S, tile, 2 * NR);
            c21 = FloatVector.fromArray(S, tile, 2 * NR + L);
            c30 = FloatVector.fromArray(S, tile, 3 * NR);
            c31 = FloatVector.fromArray(S, tile, 3 * NR + L);
        }
        int a1 = aBase + stride;            // the panel's rows, stride (its K block's kc) floats apart
        int a2 = a1 + stride;
        int a3 = a2 + stride;
        for (int p = 0; p < len; p++) {
            int bi = bBase + p * NR;        // indices linear in p, so C2 can hoist the range checks
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector av = FloatVector.broadcast(S, ap[aBase + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        float alpha = scal[0];
        if (mr == 4 && nr == NR && direct) {
            // Full tile, C overwritten (or already in the sums): straight from the registers to C. Written out,
            // not through a helper taking vectors, which C2 would not inline (node count) and whose arguments it
            // would box. One such copy only: a second one, for beta != 0, would tip the method over the same limit,
            // so that rare case (alpha != 1 or beta outside {0, 1}, and edge tiles) spills.
            long row = cTile * Float.BYTES;
            long step = (long) ldc * Float.BYTES;
            long half = (long) L * Float.BYTES;
            c00.mul(alpha).intoMemorySegment(c, row, NATIVE);
            c01.mul(alpha).intoMemorySegment(c, row + half, NATIVE);
            row += step;
            c10.mul(alpha).intoMemorySegment(c, row, NATIVE);
            c11.mul(alpha).intoMemorySegment(c, row + half, NATIVE);
            row += step;
            c20.mul(alpha).intoMemorySegment(c, row, NATIVE);
            c21.mul(alpha).intoMemorySegment(c, row + half, NATIVE);
            row += step;
            c30.mul(alpha).intoMemorySegment(c, row, NATIVE);
            c31.mul(alpha).intoMemorySegment(c, row + half, NATIVE);
            return;
        }
        // Otherwise spill the accumulators to a float[] and write back from there (edge tiles, beta != 0).
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        writeBack(tile, alpha, scal[1], c, cTile, ldc, mr, nr);
    }

    /**
     * The 8 x NR microkernel for a full tile in an fma chain (alpha 1; C loaded into the sums, or beta 0): acc
     * starts from C's tile (load) or zeros, takes the same fma steps as kernel4, and goes straight to C. Everything
     * else (edge tiles, other alpha and beta) runs as two kernel4 calls (see tile), which give each element the
     * same chain. It has no staged or spilled paths: with them, the method is too large for C2 to intrinsify the
     * Vector API's calls in it, and every vector is boxed.
     */
    private static void kernel8(int len, int stride, float[] ap, int aBase, float[] bp, int bBase, boolean load,
                                MemorySegment c, long cTile, int ldc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        long step = (long) ldc * Float.BYTES;
        long half = (long) L * Float.BYTES;
        if (load) {
            long row = cTile * Float.BYTES;
            c00 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c01 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c10 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c11 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c20 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c21 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c30 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c31 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c40 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c41 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c50 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c51 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c60 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c61 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
            row += step;
            c70 = FloatVector.fromMemorySegment(S, c, row, NATIVE);
            c71 = FloatVector.fromMemorySegment(S, c, row + half, NATIVE);
        } else {
            FloatVector zero = FloatVector.zero(S);
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = zero;
        }
        int a1 = aBase + stride;
        int a2 = a1 + stride;
        int a3 = a2 + stride;
        int a4 = a3 + stride;
        int a5 = a4 + stride;
        int a6 = a5 + stride;
        int a7 = a6 + stride;
        for (int p = 0; p < len; p++) {
            int bi = bBase + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector av = FloatVector.broadcast(S, ap[aBase + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[a4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[a5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[a6 + p]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[a7 + p]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        long row = cTile * Float.BYTES;
        c00.intoMemorySegment(c, row, NATIVE);
        c01.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c10.intoMemorySegment(c, row, NATIVE);
        c11.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c20.intoMemorySegment(c, row, NATIVE);
        c21.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c30.intoMemorySegment(c, row, NATIVE);
        c31.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c40.intoMemorySegment(c, row, NATIVE);
        c41.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c50.intoMemorySegment(c, row, NATIVE);
        c51.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c60.intoMemorySegment(c, row, NATIVE);
        c61.intoMemorySegment(c, row + half, NATIVE);
        row += step;
        c70.intoMemorySegment(c, row, NATIVE);
        c71.intoMemorySegment(c, row + half, NATIVE);
    }

    /** tile = C(0..mr, 0..nr) with zeros outside it (load; edge tiles), or all zeros. */
    private static void stage(boolean load, MemorySegment c, long cTile, int ldc, int mr, int nr, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < MR * NR; i += L) {
            zero.intoArray(tile, i);
        }
        if (load) {
            for (int r = 0; r < mr; r++) {
                MemorySegment.copy(c, F32, (cTile + (long) r * ldc) * Float.BYTES, tile, r * NR, nr);
            }
        }
    }

    /** C(0..mr, 0..nr) = alpha * tile + beta * C, tile being MR x NR row-major; beta == 0 ignores C. */
    private static void writeBack(float[] tile, float alpha, float beta, MemorySegment c, long cTile, int ldc,
                                  int mr, int nr) {
        if (nr == NR) {
            for (int r = 0; r < mr; r++) {
                long at = (cTile + (long) r * ldc) * Float.BYTES;
                for (int j = 0; j < NR; j += L) {
                    FloatVector v = FloatVector.fromArray(S, tile, r * NR + j).mul(alpha);
                    long o = at + (long) j * Float.BYTES;
                    if (beta != 0f) {
                        v = v.add(FloatVector.fromMemorySegment(S, c, o, NATIVE).mul(beta));
                    }
                    v.intoMemorySegment(c, o, NATIVE);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            long ci = cTile + (long) r * ldc;
            for (int j = 0; j < nr; j++) {
                float v = alpha * tile[r * NR + j];
                c.setAtIndex(F32, ci + j, beta == 0f ? v : v + beta * c.getAtIndex(F32, ci + j));
            }
        }
    }

    /**
     * Packs op(A)(ic..ic+mc, pc..pc+kc) into ap as micro-panels of MR rows, each row kept whole: element (i, p) of
     * the block goes to ap[i * kc + p] (so micro-panel ir / MR starts at ir * kc, and its rows lie kc apart); rows
     * past mc, up to the next multiple of MR, are zero. Row-major A is then one bulk copy per row; the microkernel
     * reads its MR broadcasts from MR sequential streams instead of one interleaved one, at the same speed.
     */
    private static void packA(boolean transA, MemorySegment a, long aOff, int lda, int ic, int mc, int pc, int kc,
                              float[] ap, int dst0, float[] line) {
        if (transA) {
            // A(i, p) at aOff + p * lda + i: the block's mc values of one p are adjacent. Bulk-copy TP such lines
            // (one copy per p instead of one checked segment read per element), then write each packed row's TP
            // values together: one p at a time would write a float per row kc floats apart, and at a power-of-two
            // kc those strides share a few L1 sets, so the rows evict each other.
            for (int p0 = 0; p0 < kc; p0 += TP) {
                int pn = Math.min(TP, kc - p0);
                for (int q = 0; q < pn; q++) {
                    copyRow(a, aOff + (long) (pc + p0 + q) * lda + ic, line, q * mc, mc);
                }
                if (pn == TP) {
                    for (int i = 0, d = dst0 + p0; i < mc; i++, d += kc) {
                        for (int q = 0, l = i; q < TP; q++, l += mc) {
                            ap[d + q] = line[l];
                        }
                    }
                } else {
                    for (int i = 0, d = dst0 + p0; i < mc; i++, d += kc) {
                        for (int q = 0, l = i; q < pn; q++, l += mc) {
                            ap[d + q] = line[l];
                        }
                    }
                }
            }
        } else {
            for (int i = 0; i < mc; i++) {
                copyRow(a, aOff + (long) (ic + i) * lda + pc, ap, dst0 + i * kc, kc);
            }
        }
        Arrays.fill(ap, dst0 + mc * kc, dst0 + paddedRows(mc) * kc, 0f);
    }

    /** Floats of op(A) (m x k) packed whole by {@link #packWholeA}: m padded to a multiple of MR. */
    static long wholeASize(int m, int k) {
        return (long) paddedRows(m) * k;
    }

    /** m rounded up to a multiple of MR: the rows of each K block in a whole packed op(A). */
    static int paddedRows(int m) {
        return (m + MR - 1) / MR * MR;
    }

    /**
     * Packs all of op(A) (m x k) into aw for {@link #sgemmPacked}: K block pc starts at pc * mPad (mPad = m rounded
     * up to MR), and within it row i at i * kc, as packA lays out one block. For an op(A) shared by many products
     * (a conv's weights over the images of a chunk), packed once instead of once per product.
     */
    static void packWholeA(boolean transA, MemorySegment a, long aOff, int lda, int m, int k, float[] aw) {
        float[] line = WORKSPACE.get().line;
        int mPad = paddedRows(m);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int ic = 0; ic < m; ic += MC) {
                packA(transA, a, aOff, lda, ic, Math.min(MC, m - ic), pc, kc, aw, pc * mPad + ic * kc, line);
            }
        }
    }

    /**
     * dst[dOff + j] = src[sOff + j] for j in [0, n) (elements), in vectors; a tail of a row at least one vector long
     * is one more vector ending at n. For the short rows of conv weights and small products, where
     * MemorySegment.copy's fixed cost per call would be a visible part of packing (SimdConv copies image rows with it
     * too).
     */
    static void copyRow(MemorySegment src, long sOff, float[] dst, int dOff, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector.fromMemorySegment(S, src, (sOff + j) * Float.BYTES, NATIVE).intoArray(dst, dOff + j);
        }
        if (j < n && n >= L) {
            int last = n - L;
            FloatVector.fromMemorySegment(S, src, (sOff + last) * Float.BYTES, NATIVE).intoArray(dst, dOff + last);
            return;
        }
        for (; j < n; j++) {
            dst[dOff + j] = src.getAtIndex(F32, sOff + j);
        }
    }

    /**
     * Packs op(B)(pc..pc+kc, jc..jc+nc) into bp as micro-panels of NR columns: element (p, j) of the block goes to
     * bp[dst0 + (j / NR) * kc * NR + p * NR + j % NR]; columns past nc are zero.
     */
    private static void packB(boolean transB, MemorySegment b, long bOff, int ldb, int pc, int kc, int jc, int nc,
                              float[] bp, int dst0, float[] line) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = dst0 + jr * kc;
            if (transB) {
                // B(p, j) at bOff + j * ldb + p: bulk-copy each column of op(B), then scatter it with stride NR.
                for (int j = 0; j < nr; j++) {
                    long src = bOff + (long) (jc + jr + j) * ldb + pc;
                    copyRow(b, src, line, 0, kc);
                    int dst = base + j;
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * NR] = line[p];
                    }
                }
                for (int j = nr; j < NR; j++) {
                    for (int p = 0; p < kc; p++) {
                        bp[base + j + p * NR] = 0f;
                    }
                }
            } else if (nr == NR) {
                // B(p, j) at bOff + p * ldb + j: NR adjacent values per p, two vector copies.
                for (int p = 0; p < kc; p++) {
                    long src = (bOff + (long) (pc + p) * ldb + jc + jr) * Float.BYTES;
                    int dst = base + p * NR;
                    FloatVector.fromMemorySegment(S, b, src, NATIVE).intoArray(bp, dst);
                    FloatVector.fromMemorySegment(S, b, src + (long) L * Float.BYTES, NATIVE).intoArray(bp, dst + L);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    long src = bOff + (long) (pc + p) * ldb + jc + jr;
                    int dst = base + p * NR;
                    for (int j = 0; j < nr; j++) {
                        bp[dst + j] = b.getAtIndex(F32, src + j);
                    }
                    for (int j = nr; j < NR; j++) {
                        bp[dst + j] = 0f;
                    }
                }
            }
        }
    }

    /** Tiny problems: one fma chain per element of C, no packing. */
    private static void direct(boolean transA, boolean transB, int m, int n, int k, float alpha,
                               MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                               float beta, MemorySegment c, long cOff, int ldc) {
        long aRow = transA ? 1 : lda;      // step between rows i of op(A)
        long aCol = transA ? lda : 1;      // step between columns p of op(A)
        long bRow = transB ? 1 : ldb;      // step between rows p of op(B)
        long bCol = transB ? ldb : 1;      // step between columns j of op(B)
        boolean fromC = alpha == 1f && beta == 1f;   // the chain order of sgemm: start from C
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = cOff + (long) i * ldc + j;
                float sum = fromC ? c.getAtIndex(F32, ci) : 0f;
                long ai = aOff + i * aRow;
                long bj = bOff + j * bCol;
                for (int p = 0; p < k; p++) {
                    sum = Math.fma(a.getAtIndex(F32, ai + p * aCol), b.getAtIndex(F32, bj + p * bRow), sum);
                }
                float v = alpha * sum;
                c.setAtIndex(F32, ci, beta == 0f || fromC ? v : v + beta * c.getAtIndex(F32, ci));
            }
        }
    }

    /** k == 0: C = beta * C (beta == 0 writes zeros, ignoring NaN in C). */
    private static void scale(int m, int n, float beta, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            long ci = cOff + (long) i * ldc;
            for (int j = 0; j < n; j++) {
                c.setAtIndex(F32, ci + j, beta == 0f ? 0f : beta * c.getAtIndex(F32, ci + j));
            }
        }
    }
}
