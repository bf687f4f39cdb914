package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Fast kernels of the im2col convolution: the unfold (im2col) and its adjoint (col2im), plus the bias broadcast and
 * bias-gradient sums. They are data movement. With stride 1 along the width both go through a zero-padded copy of
 * the image, where every (row, oh) of the column matrix is one dense run copied or added with vectors. Other
 * strides hoist the padding bounds out of the inner loop: each (row, oh) is a zero head, a strided middle and a
 * zero tail. (The padded path once also required output rows of at least one vector: with 512-bit vectors that
 * sent the convnet's 8 x 8 layer down the bounds-handled path, whose row copies and adds then took 16% of its step
 * on an AVX-512 machine.) Single-threaded; the op layer splits work over images. Twins with the same signatures:
 * RefConv.
 */
public final class SimdConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /**
     * Where S is wider than 8 lanes, what is left of a row after S's whole vectors moves 8 floats at a time as S
     * under the mask M8: with 512-bit vectors the convnet's rows of 8 (its 8 x 8 layer) would otherwise be all
     * scalar tail. NOTE: not as a narrower species: a second float species makes the Vector API's shared type
     * profiles see two vector classes, and C2 then sometimes boxes the GEMM microkernel's vectors (SimdReduce).
     */
    private static final boolean WIDE = S.length() > 8;
    private static final VectorMask<Float> M8 = S.indexInRange(0, 8);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private SimdConv() {}

    /** Per-thread zero-padded copy of one image's group, for {@link #im2colPadded}; grown as needed. */
    private static final ThreadScratch PADDED = new ThreadScratch();

    /** See RefConv.im2col: col (Cin/groups kH kW, outH outW) from one image's group x (Cin/groups, H, W). */
    public static void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment col, long colOff) {
        if (g.sW() == 1) {
            im2colPadded(g, x, xOff, col, colOff);
            return;
        }
        final int h = g.h(), w = g.w(), outH = g.outH(), outW = g.outW(), sH = g.sH(), sW = g.sW();
        final long cols = g.colCols();
        long row = colOff;
        for (int c = 0; c < g.cinG(); c++) {
            long plane = xOff + (long) c * h * w;
            for (int ki = 0; ki < g.kH(); ki++) {
                int hShift = ki * g.dH() - g.pH();          // ih = oh sH + hShift
                for (int kj = 0; kj < g.kW(); kj++, row += cols) {
                    int wShift = kj * g.dW() - g.pW();      // iw = ow sW + wShift
                    int owLo = validLo(wShift, sW, outW);
                    int owHi = Math.max(owLo, validHi(wShift, sW, w, outW));
                    for (int oh = 0; oh < outH; oh++) {
                        long dst = row + (long) oh * outW;
                        int ih = oh * sH + hShift;
                        if (ih < 0 || ih >= h) {
                            zero(col, dst, outW);
                            continue;
                        }
                        long src = plane + (long) ih * w + wShift;   // x element for ow is src + ow sW
                        zero(col, dst, owLo);
                        for (int ow = owLo; ow < owHi; ow++) {        // sW > 1 here: stride 1 took the padded path
                            col.setAtIndex(F32, dst + ow, x.getAtIndex(F32, src + (long) ow * sW));
                        }
                        zero(col, dst + owHi, outW - owHi);
                    }
                }
            }
        }
    }

    /**
     * im2col for stride 1 along the width, by way of a zero-padded copy of the image: every (row, oh) of the column
     * matrix is then one dense run of outW floats of the padded image (at column kj dW of padded row oh sH + ki dH),
     * copied with whole vectors and no padding bounds. With the bounds handled in im2col's loop, rows of 8 to 32
     * floats spent most of their time on heads, tails and checked scalar accesses.
     */
    private static void im2colPadded(ConvGeometry g, MemorySegment x, long xOff, MemorySegment col, long colOff) {
        final int h = g.h(), w = g.w(), outH = g.outH(), outW = g.outW(), sH = g.sH();
        final int pH = g.pH(), pW = g.pW(), wp = w + 2 * pW, planeP = (h + 2 * pH) * wp;
        float[] pad = padded(g, x, xOff);
        final long cols = g.colCols();
        long row = colOff;
        for (int c = 0; c < g.cinG(); c++) {
            for (int ki = 0; ki < g.kH(); ki++) {
                for (int kj = 0; kj < g.kW(); kj++, row += cols) {
                    int src = c * planeP + ki * g.dH() * wp + kj * g.dW();
                    for (int oh = 0; oh < outH; oh++, src += sH * wp) {
                        storeRowAny(pad, src, col, row + (long) oh * outW, outW);
                    }
                }
            }
        }
    }

    /**
     * col2im for stride 1 along the width, the adjoint of {@link #im2colPadded}: x is copied into the interior of a
     * zero-padded buffer, every (row, oh) of col is added to one dense run of the buffer with whole vectors, and the
     * interior is copied back. Each x element receives the same additions in the same order (r, then oh, then ow)
     * as in the twin, so the bits agree; sums landing in the padding are dropped.
     */
    private static void col2imPadded(ConvGeometry g, MemorySegment col, long colOff, MemorySegment x, long xOff) {
        final int h = g.h(), w = g.w(), outH = g.outH(), outW = g.outW(), sH = g.sH();
        final int pH = g.pH(), pW = g.pW(), wp = w + 2 * pW, planeP = (h + 2 * pH) * wp;
        float[] pad = padded(g, x, xOff);
        final long cols = g.colCols();
        final int bound = S.loopBound(outW);
        long row = colOff;
        for (int c = 0; c < g.cinG(); c++) {
            for (int ki = 0; ki < g.kH(); ki++) {
                for (int kj = 0; kj < g.kW(); kj++, row += cols) {
                    int dst = c * planeP + ki * g.dH() * wp + kj * g.dW();
                    for (int oh = 0; oh < outH; oh++, dst += sH * wp) {
                        long src = row + (long) oh * outW;
                        int j = 0;
                        for (; j < bound; j += S.length()) {
                            FloatVector.fromArray(S, pad, dst + j)
                                    .add(FloatVector.fromMemorySegment(S, col, (src + j) * Float.BYTES, NATIVE))
                                    .intoArray(pad, dst + j);
                        }
                        if (WIDE && outW - j >= 8) {
                            FloatVector.fromArray(S, pad, dst + j, M8)
                                    .add(FloatVector.fromMemorySegment(S, col, (src + j) * Float.BYTES, NATIVE, M8))
                                    .intoArray(pad, dst + j, M8);
                            j += 8;
                        }
                        for (; j < outW; j++) {
                            pad[dst + j] += col.getAtIndex(F32, src + j);
                        }
                    }
                }
            }
        }
        for (int c = 0; c < g.cinG(); c++) {
            for (int ih = 0; ih < h; ih++) {
                storeRowAny(pad, c * planeP + (ih + pH) * wp + pW, x, xOff + ((long) c * h + ih) * w, w);
            }
        }
    }

    /** dst[j] = src[j] for j in [0, n), array to segment, any n. */
    private static void storeRowAny(float[] src, int sOff, MemorySegment dst, long dOff, int n) {
        if (n >= S.length()) {
            storeRow(src, sOff, dst, dOff, n);
            return;
        }
        int j = 0;
        if (WIDE && n >= 8) {
            FloatVector.fromArray(S, src, sOff, M8).intoMemorySegment(dst, dOff * Float.BYTES, NATIVE, M8);
            j = 8;
        }
        for (; j < n; j++) {
            dst.setAtIndex(F32, dOff + j, src[sOff + j]);
        }
    }

    /**
     * The calling thread's zero-padded copy of one image's group x (Cin/groups, H, W): planes of
     * (H + 2 pH) x (W + 2 pW), zeros around, x inside. Every read of im2colPadded stays inside it: PyTorch's output
     * size formula gives (outH - 1) sH + (kH - 1) dH <= H + 2 pH - 1, and likewise for the width with stride 1.
     */
    private static float[] padded(ConvGeometry g, MemorySegment x, long xOff) {
        final int h = g.h(), w = g.w(), pH = g.pH(), pW = g.pW(), wp = w + 2 * pW, planeP = (h + 2 * pH) * wp;
        final int size = g.cinG() * planeP;
        float[] pad = PADDED.get(size);
        Arrays.fill(pad, 0, size, 0f);
        for (int c = 0; c < g.cinG(); c++) {
            for (int ih = 0; ih < h; ih++) {
                SimdGemm.copyRow(x, xOff + ((long) c * h + ih) * w, pad, c * planeP + (ih + pH) * wp + pW, w);
            }
        }
        return pad;
    }

    // ------------------------------------------------------------ im2col packed straight for the GEMM

    /** Per-thread op(B) of a fused product: the column matrix (or its transpose) in SimdGemm's packed layout. */
    private static final ThreadScratch PACKED_COL = new ThreadScratch();
    /** Per-thread op(A) of the transposed weight gradient: the column matrix itself. */
    private static final ThreadScratch PACKED_A = new ThreadScratch();
    /** Per-thread packed weights (op(A)) of {@link #packWeights}. */
    private static final ThreadScratch PACKED_W = new ThreadScratch();
    /** Largest packed column matrix, in floats (64 MiB); larger ones go through im2col and Gemm. */
    private static final long MAX_PACKED = 16L << 20;

    /**
     * Whether {@link #convImage}, {@link #inputGradImage} and {@link #weightGradImageT} take this geometry: stride 1
     * along the width (the padded path), a column matrix that is not x itself, and a packed size within bounds (both
     * the column matrix and its transpose).
     */
    public static boolean fused(ConvGeometry g) {
        return g.sW() == 1 && !g.colIsInput()
                && SimdGemm.wholeBSize(g.colRows(), g.colCols()) <= MAX_PACKED
                && SimdGemm.wholeBSize(g.colCols(), g.colRows()) <= MAX_PACKED;
    }

    /**
     * out (Cout/groups, outH outW) = w (Cout/groups, K) @ col(x) + beta * out for one image's group, K = Cin/groups
     * kH kW: the same product, order and bits as im2col followed by Gemm.sgemm, but the column matrix is written
     * from the padded image straight into the GEMM's packed op(B), so it is neither stored nor packed again.
     * Single-threaded (the op layer runs images in parallel). Requires {@link #fused}.
     */
    public static void convImage(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                                 float[] packedW, float beta, MemorySegment out, long outOff) {
        final int outH = g.outH(), outW = g.outW(), sH = g.sH(), kk = g.colRows(), hw = g.colCols();
        final int wp = g.w() + 2 * g.pW(), planeP = (g.h() + 2 * g.pH()) * wp;
        final int nr = SimdGemm.NR, nPad = SimdGemm.paddedColumns(hw);
        float[] pad = padded(g, x, xOff);
        float[] bp = PACKED_COL.get((int) SimdGemm.wholeBSize(kk, hw));
        // Element (r, j) of col goes to block (r / KC) at rb * nPad, its panel j / NR at (j / NR) NR kc, row r % KC
        // of the panel at (r % KC) NR, lane j % NR (SimdGemm.packWholeB's layout).
        for (int r = 0; r < kk; r++) {
            int c = r / (g.kH() * g.kW()), ki = r / g.kW() % g.kH(), kj = r % g.kW();
            int rb = r / SimdGemm.KC * SimdGemm.KC, kc = Math.min(SimdGemm.KC, kk - rb);
            int row = rb * nPad + (r - rb) * nr;
            int src = c * planeP + ki * g.dH() * wp + kj * g.dW();
            for (int oh = 0, j = 0; oh < outH; oh++, src += sH * wp) {
                for (int s = src, left = outW; left > 0; ) {
                    int lane = j % nr;
                    int n = Math.min(nr - lane, left);
                    copy(pad, s, bp, row + (j - lane) * kc + lane, n);
                    j += n;
                    s += n;
                    left -= n;
                }
            }
            int lane = hw % nr;
            if (lane != 0) {                  // the last panel's columns past hw are zero
                int at = row + (hw - lane) * kc + lane;
                Arrays.fill(bp, at, at + nr - lane, 0f);
            }
        }
        SimdGemm.sgemmPacked(Causal.NONE, false, g.coutG(), hw, kk, 1f, w, wOff, kk, packedW, bp, hw, 0, beta, out,
                outOff, hw);
    }

    /**
     * The weights of one group packed for {@link #convImage} (transposed false: w as (Cout/groups, K)) or
     * {@link #inputGradImage} (transposed true: w^T as (K, Cout/groups)), into the calling thread's buffer, which
     * stays valid until its next call. Packing once per chunk of images instead of once per image: for the
     * convnet's last layer the weights are 74K floats against 4.7M multiply-adds per image.
     */
    public static float[] packWeights(ConvGeometry g, MemorySegment w, long wOff, boolean transposed) {
        int kk = g.colRows(), coutG = g.coutG();
        int m = transposed ? kk : coutG, k = transposed ? coutG : kk;
        float[] aw = PACKED_W.get((int) SimdGemm.wholeASize(m, k));
        SimdGemm.packWholeA(transposed, w, wOff, kk, m, k, aw);
        return aw;
    }

    /**
     * dX += col2im(w^T @ dOut) for one image's group, with w^T packed by {@link #packWeights} (transposed): the
     * product goes to col (K, outH outW) at colOff, then col2im. Same bits as Gemm.sgemm(true, false, ...) then
     * col2im. Single-threaded. Requires {@link #fused}.
     */
    public static void inputGradImage(ConvGeometry g, float[] packedWT, MemorySegment dOut, long dOff,
                                      MemorySegment col, long colOff, MemorySegment x, long xOff) {
        final int kk = g.colRows(), hw = g.colCols(), coutG = g.coutG();
        float[] bp = PACKED_COL.get((int) SimdGemm.wholeBSize(coutG, hw));
        SimdGemm.packWholeB(false, dOut, dOff, hw, coutG, hw, bp);
        SimdGemm.sgemmPacked(Causal.NONE, true, kk, hw, coutG, 1f, null, 0, kk, packedWT, bp, hw, 0, 0f, col, colOff,
                hw);
        col2im(g, col, colOff, x, xOff);
    }

    /**
     * The weight gradient of one image's group, transposed: dWT (K, Cout/groups) = col(x) (K, outH outW) @ dOut^T +
     * beta * dWT, with dWT at dwtOff in rows of Cout/groups. Each element is the same fma chain over the output
     * positions as in dW = dOut @ col^T (a b and b a are one product), so transposing the result gives dW's bits.
     * This way col is op(A), whose panels are dense runs of the padded image, and the operand transposed while
     * packing is dOut, Cout/groups columns instead of K (a quarter of the elements in the convnet's middle layer).
     * Single-threaded. Requires {@link #fused}.
     */
    public static void weightGradImageT(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dOut, long dOff,
                                        float beta, MemorySegment dwt, long dwtOff) {
        final int outW = g.outW(), sH = g.sH(), kk = g.colRows(), hw = g.colCols(), coutG = g.coutG();
        final int wp = g.w() + 2 * g.pW(), planeP = (g.h() + 2 * g.pH()) * wp;
        final int mPad = SimdGemm.paddedRows(kk);
        float[] pad = padded(g, x, xOff);
        float[] aw = PACKED_A.get((int) SimdGemm.wholeASize(kk, hw));
        // op(A) = col: K block qb (output positions qb..qb+kc) at qb * mPad, row r at r * kc (packWholeA's layout).
        for (int qb = 0; qb < hw; qb += SimdGemm.KC) {
            int kc = Math.min(SimdGemm.KC, hw - qb);
            int block = qb * mPad;
            for (int r = 0; r < kk; r++) {
                int c = r / (g.kH() * g.kW()), ki = r / g.kW() % g.kH(), kj = r % g.kW();
                int src = c * planeP + ki * g.dH() * wp + kj * g.dW() + qb / outW * sH * wp;
                int d = block + r * kc;
                for (int ow = qb % outW, left = kc; left > 0; ow = 0, src += sH * wp) {   // runs of one output row
                    int n = Math.min(outW - ow, left);
                    copy(pad, src + ow, aw, d, n);
                    d += n;
                    left -= n;
                }
            }
            Arrays.fill(aw, block + kk * kc, block + mPad * kc, 0f);
        }
        float[] bp = PACKED_COL.get((int) SimdGemm.wholeBSize(hw, coutG));
        SimdGemm.packWholeB(true, dOut, dOff, hw, hw, coutG, bp);   // op(B) = dOut^T, (outH outW, Cout/groups)
        SimdGemm.sgemmPacked(Causal.NONE, false, kk, coutG, hw, 1f, null, 0, 0, aw, bp, coutG, 0, beta, dwt, dwtOff,
                coutG);
    }

    /** dst (rows, cols) = src^T, src being (cols, rows) at srcOff: a transposed weight gradient into place. */
    public static void transpose(MemorySegment src, long srcOff, int rows, int cols, MemorySegment dst,
                                 long dstOff) {
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                dst.setAtIndex(F32, dstOff + (long) i * cols + j, src.getAtIndex(F32, srcOff + (long) j * rows + i));
            }
        }
    }

    /** dst[d + j] = src[s + j] for j in [0, n), arrays; whole vectors, then scalars. */
    private static void copy(float[] src, int s, float[] dst, int d, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector.fromArray(S, src, s + j).intoArray(dst, d + j);
        }
        if (WIDE && n - j >= 8) {
            FloatVector.fromArray(S, src, s + j, M8).intoArray(dst, d + j, M8);
            j += 8;
        }
        for (; j < n; j++) {
            dst[d + j] = src[s + j];
        }
    }

    /** dst[j] = src[j] for j in [0, n), n >= one vector, array to segment; the tail as in copyRow. */
    private static void storeRow(float[] src, int sOff, MemorySegment dst, long dOff, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector.fromArray(S, src, sOff + j).intoMemorySegment(dst, (dOff + j) * Float.BYTES, NATIVE);
        }
        if (j < n) {
            int last = n - S.length();
            FloatVector.fromArray(S, src, sOff + last).intoMemorySegment(dst, (dOff + last) * Float.BYTES, NATIVE);
        }
    }

    /** See RefConv.col2im: x += col2im(col), adds in the same order as the twin (so results agree bitwise). */
    public static void col2im(ConvGeometry g, MemorySegment col, long colOff, MemorySegment x, long xOff) {
        if (g.sW() == 1) {
            col2imPadded(g, col, colOff, x, xOff);
            return;
        }
        final int h = g.h(), w = g.w(), outH = g.outH(), outW = g.outW(), sH = g.sH(), sW = g.sW();
        final long cols = g.colCols();
        long row = colOff;
        for (int c = 0; c < g.cinG(); c++) {
            long plane = xOff + (long) c * h * w;
            for (int ki = 0; ki < g.kH(); ki++) {
                int hShift = ki * g.dH() - g.pH();
                for (int kj = 0; kj < g.kW(); kj++, row += cols) {
                    int wShift = kj * g.dW() - g.pW();
                    int owLo = validLo(wShift, sW, outW);
                    int owHi = Math.max(owLo, validHi(wShift, sW, w, outW));
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * sH + hShift;
                        if (ih < 0 || ih >= h) {
                            continue;
                        }
                        long src = row + (long) oh * outW;
                        long dst = plane + (long) ih * w + wShift;
                        for (int ow = owLo; ow < owHi; ow++) {        // sW > 1 here: stride 1 took the padded path
                            long xi = dst + (long) ow * sW;
                            x.setAtIndex(F32, xi, x.getAtIndex(F32, xi) + col.getAtIndex(F32, src + ow));
                        }
                    }
                }
            }
        }
    }

    /** See RefConv.broadcastRows: out[r len + j] = b[r]. */
    public static void broadcastRows(MemorySegment b, long bOff, int rows, int len, MemorySegment out, long outOff) {
        final int bound = S.loopBound(len);
        for (int r = 0; r < rows; r++) {
            float v = b.getAtIndex(F32, bOff + r);
            FloatVector vv = FloatVector.broadcast(S, v);
            long base = outOff + (long) r * len;
            int j = 0;
            for (; j < bound; j += S.length()) {
                vv.intoMemorySegment(out, (base + j) * Float.BYTES, NATIVE);
            }
            for (; j < len; j++) {
                out.setAtIndex(F32, base + j, v);
            }
        }
    }

    /**
     * See RefConv.planeSums: out[c] = sum of channel c over (n, hw). Each row of hw is summed in float lanes, rows
     * are added in double in image order.
     */
    public static void planeSums(MemorySegment d, long dOff, int n, int channels, int hw, int c0, int c1,
                                 MemorySegment out, long outOff) {
        final int bound = S.loopBound(hw);
        for (int c = c0; c < c1; c++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                long base = dOff + ((long) i * channels + c) * hw;
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    acc = acc.add(FloatVector.fromMemorySegment(S, d, (base + j) * Float.BYTES, NATIVE));
                }
                float rowSum = VecMath.sumLanes(acc);   // lane order: reduceLanes(ADD)'s order depends on the JIT tier
                for (; j < hw; j++) {
                    rowSum += d.getAtIndex(F32, base + j);
                }
                sum += rowSum;
            }
            out.setAtIndex(F32, outOff + c, (float) sum);
        }
    }

    /** See RefConv.accumulate: dst[j] += src[j] for j in [0, n) (combines per-chunk weight-gradient partials). */
    public static void accumulate(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int n) {
        addRow(src, srcOff, dst, dstOff, n);
    }

    /** First ow with ow sW + shift >= 0, at most outW. */
    private static int validLo(int shift, int s, int outW) {
        return shift >= 0 ? 0 : Math.min(outW, (-shift + s - 1) / s);
    }

    /** One past the last ow with ow sW + shift < w, at most outW (may be below validLo; callers clamp). */
    private static int validHi(int shift, int s, int w, int outW) {
        int last = w - 1 - shift;           // need ow sW <= last
        return last < 0 ? 0 : Math.min(outW, last / s + 1);
    }

    private static void zero(MemorySegment s, long off, int n) {
        if (n >= S.length()) {
            FloatVector z = FloatVector.zero(S);
            int j = 0;
            for (int bound = S.loopBound(n); j < bound; j += S.length()) {
                z.intoMemorySegment(s, (off + j) * Float.BYTES, NATIVE);
            }
            if (j < n) {            // the tail: one more vector ending at n, over some zeros already written
                z.intoMemorySegment(s, (off + n - S.length()) * Float.BYTES, NATIVE);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            s.setAtIndex(F32, off + i, 0f);
        }
    }

    /** x[xOff + j] += col[cOff + j] for j in [0, n). */
    private static void addRow(MemorySegment col, long cOff, MemorySegment x, long xOff, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector a = FloatVector.fromMemorySegment(S, x, (xOff + j) * Float.BYTES, NATIVE);
            FloatVector b = FloatVector.fromMemorySegment(S, col, (cOff + j) * Float.BYTES, NATIVE);
            a.add(b).intoMemorySegment(x, (xOff + j) * Float.BYTES, NATIVE);
        }
        for (; j < n; j++) {
            x.setAtIndex(F32, xOff + j, x.getAtIndex(F32, xOff + j) + col.getAtIndex(F32, cOff + j));
        }
    }
}
