package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.PoolGeometry;
import dev.tiller.tensor.kernel.PoolKernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * 2-D max, average and adaptive average pooling with their gradients, following torch.nn.functional.max_pool2d,
 * avg_pool2d and adaptive_avg_pool2d (output sizes, ceil_mode, padding and divisor rules). Inputs are
 * x: (N, C, H, W); each (n, c) plane is pooled independently, planes are split across threads in fixed chunks,
 * and every output is computed by one thread in a fixed order, so results do not depend on the thread count.
 *
 * <p>Gradient conventions: max pooling sends each output's gradient to the one input its index names (ties are
 * broken towards the first maximum in row-major window order, as PyTorch); average pooling spreads it evenly over
 * the window's input elements, divided by the forward divisor. Backward functions return fresh tensors.
 */
public final class Pool {
    /** Window reads per parallel chunk (about); the grain depends only on the problem size. */
    private static final long WORK_PER_CHUNK = 32_768;

    private Pool() {}

    /**
     * The result of {@link #maxPool2d}: output (N, C, outH, outW) float32 and indices (N, C, outH, outW) int64, each
     * the flat index ih W + iw of the chosen element within its (H, W) plane (PyTorch's return_indices), or -1 for
     * a window that covers no input element (possible only with dilation).
     */
    public record MaxPool2dResult(Tensor output, Tensor indices) {}

    // ---------------------------------------------------------------- max pooling

    /** Max pooling with a square window, stride = kernel, no padding, dilation 1, floor mode. */
    public static MaxPool2dResult maxPool2d(Tensor x, int kernel) {
        return maxPool2d(x, new int[] {kernel, kernel}, null, new int[] {0, 0}, new int[] {1, 1}, false);
    }

    /**
     * Max pooling, as torch.nn.functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode,
     * return_indices=True). Padding counts as -infinity; ties keep the first maximum; NaN propagates.
     *
     * @param x        (N, C, H, W) float32
     * @param kernel   {kH, kW}, each >= 1
     * @param stride   {sH, sW}, each >= 1, or null for stride = kernel
     * @param padding  {pH, pW}, 0 <= pH <= kH / 2, 0 <= pW <= kW / 2
     * @param dilation {dH, dW}, each >= 1
     * @param ceilMode round the output size up; the last window must still start inside the input or left padding
     * @return output and indices, both (N, C, outH, outW)
     */
    public static MaxPool2dResult maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                            boolean ceilMode) {
        final String op = "maxPool2d";
        requireF32Rank4(op, x);
        PoolGeometry g = geometry(op, x.shape(), kernel, stride, padding, dilation, ceilMode);
        int n = x.dim(0), c = x.dim(1);
        Tensor out = Tensor.empty(DType.F32, n, c, g.outH(), g.outW());
        Tensor idx = Tensor.empty(DType.I64, n, c, g.outH(), g.outW());
        int planes = n * c;
        if (out.numel() == 0) {
            return new MaxPool2dResult(out, idx);
        }
        try (Dense xd = Dense.of(x)) {
            final MemorySegment os = out.segment(), is = idx.segment();
            final long oOff = out.offset(), iOff = idx.offset();
            Parallel.forRange(planes, grain(g.outH(), g.outW(), g.kH() * g.kW()), (p0, p1) ->
                    PoolKernels.maxPool2d(g, xd.seg, xd.off, p0, p1, os, oOff, is, iOff));
        }
        return new MaxPool2dResult(out, idx);
    }

    /**
     * Gradient of max pooling: dX[n, c, idx] += dOut[n, c, oh, ow] over all outputs (overlapping windows that chose
     * the same element add up).
     *
     * @param dOut       (N, C, outH, outW) float32
     * @param indices    the int64 indices from {@link #maxPool2d}, same shape as dOut
     * @param inputShape (N, C, H, W), the forward input's shape
     * @return dX: (N, C, H, W), a new tensor
     */
    public static Tensor maxPool2dBackward(Tensor dOut, Tensor indices, int[] inputShape) {
        final String op = "maxPool2dBackward";
        requireF32Rank4(op, dOut);
        if (indices.dtype() != DType.I64 || !Arrays.equals(indices.shape(), dOut.shape())) {
            throw new ShapeMismatchException(op, "int64 indices shaped like dOut",
                    "dOut=" + Shape.str(dOut.shape()) + ", indices=" + indices.describe(), null);
        }
        requireInputShape(op, dOut, inputShape);
        PoolGeometry g = new PoolGeometry(inputShape[2], inputShape[3], 1, 1, 1, 1, 0, 0, 1, 1, dOut.dim(2),
                dOut.dim(3));
        Tensor dX = Tensor.zeros(DType.F32, inputShape);
        if (dOut.numel() == 0) {
            return dX;
        }
        try (Dense dd = Dense.of(dOut); Dense id = Dense.of(indices)) {
            final MemorySegment xs = dX.segment();
            final long xOff = dX.offset();
            Parallel.forRange(inputShape[0] * inputShape[1], grain(g.outH(), g.outW(), 1), (p0, p1) ->
                    PoolKernels.maxPool2dBackward(g, dd.seg, dd.off, id.seg, id.off, p0, p1, xs, xOff));
        }
        return dX;
    }

    // ---------------------------------------------------------------- average pooling

    /**
     * Average pooling, as torch.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad).
     * Each window is clipped to the padded input (poolSize elements, which with ceil_mode may be fewer than kH kW)
     * and then to the input (count elements); out = window sum / (countIncludePad ? poolSize : count).
     *
     * @param x       (N, C, H, W) float32
     * @param kernel  {kH, kW}, each >= 1
     * @param stride  {sH, sW}, each >= 1, or null for stride = kernel
     * @param padding {pH, pW}, 0 <= pH <= kH / 2, 0 <= pW <= kW / 2 (zeros)
     * @return (N, C, outH, outW)
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        final String op = "avgPool2d";
        requireF32Rank4(op, x);
        PoolGeometry g = geometry(op, x.shape(), kernel, stride, padding, new int[] {1, 1}, ceilMode);
        Tensor out = Tensor.empty(DType.F32, x.dim(0), x.dim(1), g.outH(), g.outW());
        if (out.numel() == 0) {
            return out;
        }
        try (Dense xd = Dense.of(x)) {
            final MemorySegment os = out.segment();
            final long oOff = out.offset();
            Parallel.forRange(x.dim(0) * x.dim(1), grain(g.outH(), g.outW(), g.kH() * g.kW()), (p0, p1) ->
                    PoolKernels.avgPool2d(g, countIncludePad, xd.seg, xd.off, p0, p1, os, oOff));
        }
        return out;
    }

    /**
     * Gradient of {@link #avgPool2d} (called with the same window arguments): each dOut element, divided by its
     * window's divisor, is added to every input element of the window.
     *
     * @param dOut       (N, C, outH, outW)
     * @param inputShape (N, C, H, W)
     * @return dX: (N, C, H, W), a new tensor
     */
    public static Tensor avgPool2dBackward(Tensor dOut, int[] inputShape, int[] kernel, int[] stride, int[] padding,
                                           boolean ceilMode, boolean countIncludePad) {
        final String op = "avgPool2dBackward";
        requireF32Rank4(op, dOut);
        requireInputShape(op, dOut, inputShape);
        PoolGeometry g = geometry(op, inputShape, kernel, stride, padding, new int[] {1, 1}, ceilMode);
        requireOutput(op, dOut, g, inputShape);
        Tensor dX = Tensor.zeros(DType.F32, inputShape);
        if (dOut.numel() == 0) {
            return dX;
        }
        try (Dense dd = Dense.of(dOut)) {
            final MemorySegment xs = dX.segment();
            final long xOff = dX.offset();
            Parallel.forRange(inputShape[0] * inputShape[1], grain(g.outH(), g.outW(), g.kH() * g.kW()), (p0, p1) ->
                    PoolKernels.avgPool2dBackward(g, countIncludePad, dd.seg, dd.off, p0, p1, xs, xOff));
        }
        return dX;
    }

    // ---------------------------------------------------------------- adaptive average pooling

    /**
     * Adaptive average pooling to a fixed output size, as torch.nn.functional.adaptive_avg_pool2d: output (i, j)
     * averages input rows [floor(i H / outH), ceil((i + 1) H / outH)) and the columns likewise.
     *
     * @param x (N, C, H, W) float32 with H, W >= 1
     * @return (N, C, outH, outW); outH, outW >= 1 (may exceed H, W: windows then overlap)
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        final String op = "adaptiveAvgPool2d";
        requireF32Rank4(op, x);
        int h = x.dim(2), w = x.dim(3);
        if (outH < 1 || outW < 1 || h < 1 || w < 1 || x.dim(1) < 1) {
            throw new ShapeMismatchException(op, "x: (N, C, H, W) with C, H, W >= 1 and an output size >= 1x1",
                    "x=" + Shape.str(x.shape()) + ", output " + outH + "x" + outW, null);
        }
        Tensor out = Tensor.empty(DType.F32, x.dim(0), x.dim(1), outH, outW);
        if (out.numel() == 0) {
            return out;
        }
        try (Dense xd = Dense.of(x)) {
            final MemorySegment os = out.segment();
            final long oOff = out.offset();
            int window = ((h + outH - 1) / outH + 1) * ((w + outW - 1) / outW + 1);
            Parallel.forRange(x.dim(0) * x.dim(1), grain(outH, outW, window), (p0, p1) ->
                    PoolKernels.adaptiveAvgPool2d(h, w, outH, outW, xd.seg, xd.off, p0, p1, os, oOff));
        }
        return out;
    }

    /**
     * Gradient of {@link #adaptiveAvgPool2d}: each dOut element divided by its window size is added to the
     * window's input elements.
     *
     * @param dOut       (N, C, outH, outW)
     * @param inputShape (N, C, H, W)
     * @return dX: (N, C, H, W), a new tensor
     */
    public static Tensor adaptiveAvgPool2dBackward(Tensor dOut, int[] inputShape) {
        final String op = "adaptiveAvgPool2dBackward";
        requireF32Rank4(op, dOut);
        requireInputShape(op, dOut, inputShape);
        int h = inputShape[2], w = inputShape[3], outH = dOut.dim(2), outW = dOut.dim(3);
        if (outH < 1 || outW < 1 || h < 1 || w < 1) {
            throw new ShapeMismatchException(op, "H, W, outH, outW >= 1",
                    "dOut=" + Shape.str(dOut.shape()) + ", inputShape=" + Shape.str(inputShape), null);
        }
        Tensor dX = Tensor.zeros(DType.F32, inputShape);
        if (dOut.numel() == 0) {
            return dX;
        }
        try (Dense dd = Dense.of(dOut)) {
            final MemorySegment xs = dX.segment();
            final long xOff = dX.offset();
            int window = ((h + outH - 1) / outH + 1) * ((w + outW - 1) / outW + 1);
            Parallel.forRange(inputShape[0] * inputShape[1], grain(outH, outW, window), (p0, p1) ->
                    PoolKernels.adaptiveAvgPool2dBackward(h, w, outH, outW, dd.seg, dd.off, p0, p1, xs, xOff));
        }
        return dX;
    }

    // ---------------------------------------------------------------- helpers

    /** Planes per chunk so that a chunk does about WORK_PER_CHUNK window reads; depends on sizes only. */
    private static int grain(int outH, int outW, int window) {
        long perPlane = Math.max(1L, (long) outH * outW * window);
        return (int) Math.max(1, WORK_PER_CHUNK / perPlane);
    }

    private static PoolGeometry geometry(String op, int[] xShape, int[] kernel, int[] stride, int[] padding,
                                         int[] dilation, boolean ceilMode) {
        int[] s = stride == null ? kernel : stride;
        requirePair(op, "kernel", kernel, 1);
        requirePair(op, "stride", s, 1);
        requirePair(op, "padding", padding, 0);
        requirePair(op, "dilation", dilation, 1);
        if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
            throw new IllegalArgumentException(op + ": padding must be at most half the kernel, got padding "
                    + Arrays.toString(padding) + " for kernel " + Arrays.toString(kernel) + " (x="
                    + Shape.str(xShape) + ")");
        }
        if (xShape[1] < 1 || xShape[2] < 1 || xShape[3] < 1) {
            throw new ShapeMismatchException(op, "x: (N, C, H, W) with C, H, W >= 1", "x=" + Shape.str(xShape), null);
        }
        int outH = PoolGeometry.outputSize(xShape[2], kernel[0], s[0], padding[0], dilation[0], ceilMode);
        int outW = PoolGeometry.outputSize(xShape[3], kernel[1], s[1], padding[1], dilation[1], ceilMode);
        if (outH < 1 || outW < 1) {
            throw new ShapeMismatchException(op, "an output of at least 1x1", "x=" + Shape.str(xShape) + ", kernel="
                    + Arrays.toString(kernel) + ", stride=" + Arrays.toString(s) + ", padding="
                    + Arrays.toString(padding) + ", dilation=" + Arrays.toString(dilation) + " -> output " + outH
                    + "x" + outW, "the padded input must be at least the dilated window");
        }
        return new PoolGeometry(xShape[2], xShape[3], kernel[0], kernel[1], s[0], s[1], padding[0], padding[1],
                dilation[0], dilation[1], outH, outW);
    }

    private static void requireF32Rank4(String op, Tensor t) {
        if (t.dtype() != DType.F32 || t.rank() != 4) {
            throw new ShapeMismatchException(op, "a float32 (N, C, H, W) tensor", t.describe(),
                    t.rank() == 3 ? "add a batch dimension with unsqueeze(0)" : null);
        }
    }

    private static void requireInputShape(String op, Tensor dOut, int[] inputShape) {
        if (inputShape.length != 4 || inputShape[0] != dOut.dim(0) || inputShape[1] != dOut.dim(1)) {
            throw new ShapeMismatchException(op, "inputShape (N, C, H, W) with the N and C of dOut",
                    "dOut=" + Shape.str(dOut.shape()) + ", inputShape=" + Arrays.toString(inputShape), null);
        }
    }

    private static void requireOutput(String op, Tensor dOut, PoolGeometry g, int[] inputShape) {
        if (dOut.dim(2) != g.outH() || dOut.dim(3) != g.outW()) {
            throw new ShapeMismatchException(op, "dOut: (N, C, outH, outW) = (" + inputShape[0] + ", " + inputShape[1]
                    + ", " + g.outH() + ", " + g.outW() + ")",
                    "dOut=" + Shape.str(dOut.shape()) + " for inputShape=" + Shape.str(inputShape),
                    "pass the forward pass's kernel, stride, padding and ceilMode");
        }
    }

    private static void requirePair(String op, String name, int[] v, int min) {
        if (v == null || v.length != 2 || v[0] < min || v[1] < min) {
            throw new IllegalArgumentException(op + ": " + name + " must be 2 values >= " + min + ", got "
                    + Arrays.toString(v));
        }
    }
}
