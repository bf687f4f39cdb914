package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ConvGeometry;
import dev.tiller.tensor.kernel.ConvKernels;
import dev.tiller.tensor.kernel.Gemm;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) and its gradients, by im2col + GEMM: for each
 * image and group, out (Cout/groups, outH outW) = w (Cout/groups, Cin/groups kH kW) @ col (Cin/groups kH kW,
 * outH outW). The ground truth is the direct convolution in RefConv.
 *
 * <p>Shapes: x: (N, Cin, H, W), w: (Cout, Cin/groups, kH, kW), bias: (Cout), out: (N, Cout, outH, outW) with
 * outH = floor((H + 2 padH - dilH (kH - 1) - 1) / strideH) + 1 (likewise outW); padding is zeros.
 *
 * <p>Where {@link ConvKernels#fused} holds (SIMD kernels, stride 1 along the width), the forward product and the
 * weight gradient skip the stored column matrix: it is written from a padded copy of the image straight into the
 * GEMM's packed operand, with the same bits as im2col + GEMM.
 *
 * <p>Parallelism and determinism: images are cut into a fixed number of chunks that depends only on the problem
 * size; each chunk owns one im2col scratch buffer (from {@link Tensor#empty}, so inside a TensorScope over a
 * TensorPool a repeated step reserves no new memory) and runs its images' GEMMs in order. The weight gradient sums
 * per-chunk partials in chunk order. So results are bitwise identical for any thread count.
 *
 * <p>Gradient conventions: the backward functions return fresh tensors (they do not accumulate into existing
 * gradients; the autograd driver adds them). Convolution is linear in x and in w, so there are no kinks.
 */
public final class Conv {
    /** Floats of im2col scratch one call may hold across chunks (32 MiB); bounds memory for large images. */
    private static final long COL_BUDGET = 1L << 23;
    /** At most this many image chunks (so at most this many scratch buffers and weight-gradient partials). */
    private static final int MAX_CHUNKS = 16;

    private Conv() {}

    // ---------------------------------------------------------------- forward

    /** conv2d with the same stride, padding and dilation in both directions. See the array overload. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int dilation, int groups) {
        return conv2d(x, w, bias, pair(stride), pair(padding), pair(dilation), groups);
    }

    /** conv2d with dilation 1 and one group. See the array overload. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return conv2d(x, w, bias, stride, padding, 1, 1);
    }

    /**
     * out = conv2d(x, w) + bias, as torch.nn.functional.conv2d.
     *
     * @param x        (N, Cin, H, W) float32, any layout
     * @param w        (Cout, Cin/groups, kH, kW) float32
     * @param bias     (Cout) float32, or null for none
     * @param stride   {strideH, strideW}, each >= 1
     * @param padding  {padH, padW}, each >= 0 (zero padding on both sides)
     * @param dilation {dilH, dilW}, each >= 1
     * @param groups   >= 1, dividing Cin and Cout (groups == Cin == Cout is a depthwise convolution)
     * @return (N, Cout, outH, outW), a new contiguous float32 tensor
     * @throws ShapeMismatchException if the ranks or channels do not fit, or the output would be empty
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        final String op = "conv2d";
        requireF32(op, "x", x);
        requireF32(op, "w", w);
        ConvGeometry g = geometry(op, x.shape(), w.shape(), stride, padding, dilation, groups);
        if (bias != null) {
            requireF32(op, "bias", bias);
            if (bias.rank() != 1 || bias.dim(0) != g.cout()) {
                throw new ShapeMismatchException(op, "bias: (Cout) = (" + g.cout() + ")",
                        "bias=" + Shape.str(bias.shape()) + ", w=" + Shape.str(w.shape()), null);
            }
        }
        Tensor out = Tensor.empty(DType.F32, g.n(), g.cout(), g.outH(), g.outW());
        if (out.numel() == 0) {
            return out;
        }
        Tensor xc = x.contiguous();
        Tensor wc = w.contiguous();
        Tensor bc = bias == null ? null : bias.contiguous();
        int per = imagesPerChunk(g);
        boolean fused = ConvKernels.fused(g);
        Tensor col = fused ? null : scratch(g, per);
        try {
            forward(g, per, fused, xc, wc, bc, col, out);
        } finally {
            closeAll(col, xc, x, wc, w, bc, bias);
        }
        return out;
    }

    private static void forward(ConvGeometry g, int per, boolean fused, Tensor x, Tensor w, Tensor b, Tensor col,
                                Tensor out) {
        final MemorySegment xs = x.segment(), ws = w.segment(), os = out.segment();
        final MemorySegment bs = b == null ? null : b.segment();
        final MemorySegment cs = col == null ? null : col.segment();
        final long xOff = x.offset(), wOff = w.offset(), oOff = out.offset(), bOff = b == null ? 0 : b.offset();
        final long colBase = col == null ? 0 : col.offset();
        final int hw = g.colCols(), kk = g.colRows(), coutG = g.coutG();
        final long colSize = (long) kk * hw;
        final float beta = b == null ? 0f : 1f;
        Parallel.forRange(g.n(), per, (n0, n1) -> {
            long colOff = colBase + (long) (n0 / per) * colSize;
            // One group: its weights are packed once for the chunk's images (else per image, inside the product).
            float[] packedW = fused && g.groups() == 1 ? ConvKernels.packWeights(g, ws, wOff, false) : null;
            for (int n = n0; n < n1; n++) {
                long outN = oOff + (long) n * g.cout() * hw;
                if (bs != null) {     // out = bias, then GEMM with beta 1 adds w @ col
                    ConvKernels.broadcastRows(bs, bOff, g.cout(), hw, os, outN);
                }
                for (int grp = 0; grp < g.groups(); grp++) {
                    long xG = xOff + ((long) n * g.cin() + (long) grp * g.cinG()) * g.h() * g.w();
                    if (fused) {                       // im2col written straight into the GEMM's packed op(B)
                        ConvKernels.convImage(g, xs, xG, ws, wOff + (long) grp * coutG * kk, packedW, beta, os,
                                outN + (long) grp * coutG * hw);
                        continue;
                    }
                    MemorySegment bSeg = xs;           // the 1x1/stride-1/no-padding col matrix is x itself
                    long bSegOff = xG;
                    if (cs != null) {
                        ConvKernels.im2col(g, xs, xG, cs, colOff);
                        bSeg = cs;
                        bSegOff = colOff;
                    }
                    // out[n, grp] (Cout/g, outH outW) = w[grp] (Cout/g, K) @ col (K, outH outW) (+ bias)
                    Gemm.sgemm(false, false, coutG, hw, kk, 1f, ws, wOff + (long) grp * coutG * kk, kk,
                            bSeg, bSegOff, hw, beta, os, outN + (long) grp * coutG * hw, hw);
                }
            }
        });
    }

    // ---------------------------------------------------------------- backward

    /**
     * Gradient of conv2d with respect to x: dX = conv2d's adjoint in x applied to dOut (a transposed convolution).
     * Computed per image and group as dCol = w[grp]^T @ dOut[n, grp] followed by col2im.
     *
     * @param dOut       (N, Cout, outH, outW), the gradient of the loss with respect to conv2d's output
     * @param w          (Cout, Cin/groups, kH, kW), the forward weights
     * @param inputShape (N, Cin, H, W), the shape of the forward input x
     * @return dX: (N, Cin, H, W), a new tensor
     */
    public static Tensor conv2dBackwardInput(Tensor dOut, Tensor w, int[] inputShape, int[] stride, int[] padding,
                                             int[] dilation, int groups) {
        final String op = "conv2dBackwardInput";
        requireF32(op, "dOut", dOut);
        requireF32(op, "w", w);
        ConvGeometry g = geometry(op, inputShape, w.shape(), stride, padding, dilation, groups);
        requireDOut(op, g, dOut);
        boolean direct = g.colIsInput();
        Tensor dX = direct ? Tensor.empty(DType.F32, g.n(), g.cin(), g.h(), g.w())
                : Tensor.zeros(DType.F32, g.n(), g.cin(), g.h(), g.w());
        if (dX.numel() == 0) {
            return dX;
        }
        Tensor dc = dOut.contiguous();
        Tensor wc = w.contiguous();
        int per = imagesPerChunk(g);
        Tensor col = scratch(g, per);
        try {
            final MemorySegment ds = dc.segment(), ws = wc.segment(), xs = dX.segment();
            final MemorySegment cs = col == null ? null : col.segment();
            final long dOff = dc.offset(), wOff = wc.offset(), xOff = dX.offset();
            final long colBase = col == null ? 0 : col.offset();
            final int hw = g.colCols(), kk = g.colRows(), coutG = g.coutG();
            final long colSize = (long) kk * hw;
            // One group: w^T is packed once per chunk and each image's product runs on it.
            final boolean packOnce = cs != null && g.groups() == 1 && ConvKernels.fused(g);
            Parallel.forRange(g.n(), per, (n0, n1) -> {
                long colOff = colBase + (long) (n0 / per) * colSize;
                float[] packedWT = packOnce ? ConvKernels.packWeights(g, ws, wOff, true) : null;
                for (int n = n0; n < n1; n++) {
                    for (int grp = 0; grp < g.groups(); grp++) {
                        long dG = dOff + ((long) n * g.cout() + (long) grp * coutG) * hw;
                        long xG = xOff + ((long) n * g.cin() + (long) grp * g.cinG()) * g.h() * g.w();
                        long wG = wOff + (long) grp * coutG * kk;
                        if (packOnce) {
                            ConvKernels.inputGradImage(g, packedWT, ds, dG, cs, colOff, xs, xG);
                            continue;
                        }
                        // dCol (K, outH outW) = w[grp]^T (K, Cout/g) @ dOut[n, grp] (Cout/g, outH outW)
                        if (cs == null) {
                            Gemm.sgemm(true, false, kk, hw, coutG, 1f, ws, wG, kk, ds, dG, hw, 0f, xs, xG, hw);
                        } else {
                            Gemm.sgemm(true, false, kk, hw, coutG, 1f, ws, wG, kk, ds, dG, hw, 0f, cs, colOff, hw);
                            ConvKernels.col2im(g, cs, colOff, xs, xG);
                        }
                    }
                }
            });
        } finally {
            closeAll(col, dc, dOut, wc, w, null, null);
        }
        return dX;
    }

    /** conv2dBackwardInput with the same stride, padding and dilation in both directions. */
    public static Tensor conv2dBackwardInput(Tensor dOut, Tensor w, int[] inputShape, int stride, int padding,
                                             int dilation, int groups) {
        return conv2dBackwardInput(dOut, w, inputShape, pair(stride), pair(padding), pair(dilation), groups);
    }

    /**
     * Gradient of conv2d with respect to w: dW[grp] = sum over images n of dOut[n, grp] @ col(x[n, grp])^T.
     * Images are summed within each chunk in order, then chunk partials in chunk order (deterministic).
     *
     * @param dOut        (N, Cout, outH, outW)
     * @param x           (N, Cin, H, W), the forward input
     * @param weightShape (Cout, Cin/groups, kH, kW), the shape of the forward weights
     * @return dW: (Cout, Cin/groups, kH, kW), a new tensor (zeros when N == 0)
     */
    public static Tensor conv2dBackwardWeight(Tensor dOut, Tensor x, int[] weightShape, int[] stride, int[] padding,
                                              int[] dilation, int groups) {
        final String op = "conv2dBackwardWeight";
        requireF32(op, "dOut", dOut);
        requireF32(op, "x", x);
        ConvGeometry g = geometry(op, x.shape(), weightShape, stride, padding, dilation, groups);
        requireDOut(op, g, dOut);
        Tensor dW = Tensor.zeros(DType.F32, weightShape);
        if (g.n() == 0 || dW.numel() == 0) {
            return dW;
        }
        Tensor dc = dOut.contiguous();
        Tensor xc = x.contiguous();
        int per = imagesPerChunk(g);
        int chunks = (g.n() + per - 1) / per;
        final int hw = g.colCols(), kk = g.colRows(), coutG = g.coutG();
        final long wSize = (long) g.cout() * kk;
        boolean fused = ConvKernels.fused(g);
        Tensor col = fused ? null : scratch(g, per);
        // Fused: every chunk's partial is transposed (per group (K, Cout/groups)); they are summed in that layout
        // and transposed into dW once at the end.
        Tensor partial = chunks == 1 && !fused ? null : Tensor.empty(DType.F32, chunks, g.cout() * kk);
        Tensor sumT = fused && chunks > 1 ? Tensor.zeros(DType.F32, g.cout() * kk) : null;
        try {
            final MemorySegment ds = dc.segment(), xs = xc.segment();
            final MemorySegment cs = col == null ? null : col.segment();
            final MemorySegment ps = partial == null ? dW.segment() : partial.segment();
            final long dOff = dc.offset(), xOff = xc.offset();
            final long colBase = col == null ? 0 : col.offset();
            final long pBase = partial == null ? dW.offset() : partial.offset();
            final long colSize = (long) kk * hw;
            Parallel.forRange(g.n(), per, (n0, n1) -> {
                int chunk = n0 / per;
                long colOff = colBase + chunk * colSize;
                long pOff = pBase + chunk * wSize;
                for (int n = n0; n < n1; n++) {
                    float beta = n == n0 ? 0f : 1f;           // the chunk's first image overwrites its partial
                    for (int grp = 0; grp < g.groups(); grp++) {
                        long dG = dOff + ((long) n * g.cout() + (long) grp * coutG) * hw;
                        long xG = xOff + ((long) n * g.cin() + (long) grp * g.cinG()) * g.h() * g.w();
                        if (fused) {                   // dW^T = col dOut^T, col packed from the padded image
                            ConvKernels.weightGradImageT(g, xs, xG, ds, dG, beta, ps, pOff + (long) grp * coutG * kk);
                            continue;
                        }
                        MemorySegment bSeg = xs;
                        long bSegOff = xG;
                        if (cs != null) {
                            ConvKernels.im2col(g, xs, xG, cs, colOff);
                            bSeg = cs;
                            bSegOff = colOff;
                        }
                        // dW[grp] (Cout/g, K) += dOut[n, grp] (Cout/g, outH outW) @ col^T (outH outW, K)
                        Gemm.sgemm(false, true, coutG, kk, hw, 1f, ds, dG, hw, bSeg, bSegOff, hw, beta,
                                ps, pOff + (long) grp * coutG * kk, kk);
                    }
                }
            });
            if (partial != null) {
                // dW = partial[0] + partial[1] + ... in chunk order, on the caller: fixed order, any thread count.
                // Fused partials are summed the same way, from zeros, in their transposed layout (one chunk: its
                // partial as it is), then transposed into dW.
                MemorySegment sum = sumT != null ? sumT.segment() : fused ? ps : dW.segment();
                long sumOff = sumT != null ? sumT.offset() : fused ? pBase : dW.offset();
                int len = Math.toIntExact(wSize);
                for (int c = 0; c < (fused && chunks == 1 ? 0 : chunks); c++) {
                    ConvKernels.accumulate(ps, pBase + c * wSize, sum, sumOff, len);
                }
                if (fused) {
                    for (int grp = 0; grp < g.groups(); grp++) {
                        long at = (long) grp * coutG * kk;
                        ConvKernels.transpose(sum, sumOff + at, coutG, kk, dW.segment(), dW.offset() + at);
                    }
                }
            }
        } finally {
            if (partial != null) {
                partial.close();
            }
            if (sumT != null) {
                sumT.close();
            }
            closeAll(col, dc, dOut, xc, x, null, null);
        }
        return dW;
    }

    /** conv2dBackwardWeight with the same stride, padding and dilation in both directions. */
    public static Tensor conv2dBackwardWeight(Tensor dOut, Tensor x, int[] weightShape, int stride, int padding,
                                              int dilation, int groups) {
        return conv2dBackwardWeight(dOut, x, weightShape, pair(stride), pair(padding), pair(dilation), groups);
    }

    /**
     * Gradient of conv2d with respect to bias: dB[c] = sum over n, oh, ow of dOut[n, c, oh, ow].
     *
     * @param dOut (N, Cout, outH, outW)
     * @return dB: (Cout), a new tensor
     */
    public static Tensor conv2dBackwardBias(Tensor dOut) {
        final String op = "conv2dBackwardBias";
        requireF32(op, "dOut", dOut);
        if (dOut.rank() != 4) {
            throw new ShapeMismatchException(op, "dOut: (N, Cout, outH, outW)", "dOut=" + Shape.str(dOut.shape()),
                    null);
        }
        int n = dOut.dim(0), c = dOut.dim(1), hw = dOut.dim(2) * dOut.dim(3);
        Tensor dB = Tensor.zeros(DType.F32, c);
        if (n == 0 || c == 0 || hw == 0) {
            return dB;
        }
        Tensor dc = dOut.contiguous();
        try {
            final MemorySegment ds = dc.segment(), bs = dB.segment();
            final long dOff = dc.offset(), bOff = dB.offset();
            int grain = (int) Math.max(1, 65_536L / ((long) n * hw));   // about 64K reads per chunk
            Parallel.forRange(c, grain, (c0, c1) -> ConvKernels.planeSums(ds, dOff, n, c, hw, c0, c1, bs, bOff));
        } finally {
            if (dc != dOut) {
                dc.close();
            }
        }
        return dB;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Validates the operands of a convolution and returns its geometry.
     * @throws IllegalArgumentException (or ShapeMismatchException) naming op and the shapes
     */
    static ConvGeometry geometry(String op, int[] xShape, int[] wShape, int[] stride, int[] padding,
                                 int[] dilation, int groups) {
        requirePair(op, "stride", stride, 1);
        requirePair(op, "padding", padding, 0);
        requirePair(op, "dilation", dilation, 1);
        String shapes = "x=" + Shape.str(xShape) + ", w=" + Shape.str(wShape) + ", groups=" + groups;
        if (xShape.length != 4) {
            throw new ShapeMismatchException(op, "x: (N, Cin, H, W)", shapes,
                    xShape.length == 3 ? "add a batch dimension with x.unsqueeze(0)" : null);
        }
        if (wShape.length != 4) {
            throw new ShapeMismatchException(op, "w: (Cout, Cin/groups, kH, kW)", shapes, null);
        }
        for (int d : xShape) {
            if (d < 0) {
                throw new ShapeMismatchException(op, "non-negative dims", shapes, null);
            }
        }
        if (groups < 1) {
            throw new IllegalArgumentException(op + ": groups must be >= 1, got " + groups + " (" + shapes + ")");
        }
        int cin = xShape[1], cout = wShape[0];
        if (cin % groups != 0 || cout % groups != 0 || cout < 0) {
            throw new ShapeMismatchException(op, "groups dividing both Cin and Cout", shapes + " (Cin=" + cin
                    + ", Cout=" + cout + ")", null);
        }
        if (wShape[1] != cin / groups) {
            String hint = wShape[1] > 0 && cin % wShape[1] == 0 && cout % (cin / wShape[1]) == 0
                    ? "w fits groups=" + (cin / wShape[1]) : "w's dim 1 must be Cin/groups = " + cin / groups;
            throw new ShapeMismatchException(op, "w: (Cout, Cin/groups, kH, kW) with Cin/groups = " + cin / groups,
                    shapes, hint);
        }
        if (wShape[2] < 1 || wShape[3] < 1) {
            throw new ShapeMismatchException(op, "a kernel of at least 1x1", shapes, null);
        }
        ConvGeometry g = ConvGeometry.of(xShape[0], cin, xShape[2], xShape[3], cout, wShape[2], wShape[3],
                stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups);
        if (g.outH() < 1 || g.outW() < 1) {
            throw new ShapeMismatchException(op, "an output of at least 1x1",
                    shapes + ", stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding)
                            + ", dilation=" + Arrays.toString(dilation) + " -> output " + g.outH() + "x" + g.outW(),
                    "the padded input (" + (g.h() + 2 * g.pH()) + "x" + (g.w() + 2 * g.pW())
                            + ") must be at least the dilated kernel (" + (g.dH() * (g.kH() - 1) + 1) + "x"
                            + (g.dW() * (g.kW() - 1) + 1) + ")");
        }
        return g;
    }

    private static void requireDOut(String op, ConvGeometry g, Tensor dOut) {
        int[] want = {g.n(), g.cout(), g.outH(), g.outW()};
        if (!Arrays.equals(want, dOut.shape())) {
            throw new ShapeMismatchException(op, "dOut: (N, Cout, outH, outW) = " + Shape.str(want),
                    "dOut=" + Shape.str(dOut.shape()) + " for x=(" + g.n() + ", " + g.cin() + ", " + g.h() + ", "
                            + g.w() + "), w=(" + g.cout() + ", " + g.cinG() + ", " + g.kH() + ", " + g.kW()
                            + ")", "pass the stride, padding, dilation and groups used in the forward pass");
        }
    }

    private static void requirePair(String op, String name, int[] v, int min) {
        if (v == null || v.length != 2 || v[0] < min || v[1] < min) {
            throw new IllegalArgumentException(op + ": " + name + " must be 2 values >= " + min + ", got "
                    + Arrays.toString(v));
        }
    }

    private static void requireF32(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + name + " must be f32, got " + t.describe());
        }
    }

    private static int[] pair(int v) {
        return new int[] {v, v};
    }

    /** Images per chunk: at most MAX_CHUNKS chunks, and chunks' scratch within COL_BUDGET. Size-only. */
    private static int imagesPerChunk(ConvGeometry g) {
        long colSize = g.colIsInput() ? 1 : Math.max(1, (long) g.colRows() * g.colCols());
        long chunks = Math.min(Math.min(g.n(), MAX_CHUNKS), Math.max(1, COL_BUDGET / colSize));
        chunks = Math.max(1, chunks);
        return (int) ((g.n() + chunks - 1) / chunks);
    }

    /** One im2col buffer per chunk, or null when the col matrix is x itself. */
    private static Tensor scratch(ConvGeometry g, int per) {
        if (g.colIsInput()) {
            return null;
        }
        int chunks = (g.n() + per - 1) / per;
        return Tensor.empty(DType.F32, chunks, g.colRows(), g.colCols());
    }

    /** Closes scratch and every contiguous copy this op made (a copy differs from its original). */
    private static void closeAll(Tensor scratch, Tensor a, Tensor aOrig, Tensor b, Tensor bOrig, Tensor c,
                                 Tensor cOrig) {
        if (scratch != null) {
            scratch.close();
        }
        if (a != aOrig) {
            a.close();
        }
        if (b != bOrig) {
            b.close();
        }
        if (c != cOrig) {
            c.close();
        }
    }
}
