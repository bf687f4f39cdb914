package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.RowKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Fused normalisation layers with PyTorch's semantics: layer norm (F.layer_norm over the last dim), RMS norm
 * (F.rms_norm over the last dim) and 2-d batch norm (F.batch_norm, training and eval). Each forward returns what its
 * backward needs (llm.c's "cache the mean and rstd for the backward pass"). Rows (or channels) run in parallel;
 * weight gradients are column sums taken over rows in a fixed order, so results do not depend on the thread count.
 */
public final class Norm {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    /** Columns per parallel chunk of the weight-gradient column sums. */
    private static final int COLUMN_GRAIN = 64;

    private Norm() {}

    /** Layer norm output out: (..., C) plus the per-row mean and rstd = 1/sqrt(var + eps), both (...). */
    public record LayerNormResult(Tensor out, Tensor mean, Tensor rstd) {}

    /** Layer norm gradients: dX: (..., C), dW: (C), dB: (C). */
    public record LayerNormGrads(Tensor dX, Tensor dW, Tensor dB) {}

    /** RMS norm output out: (..., C) plus rrms = 1/sqrt(mean(x^2) + eps) per row: (...). */
    public record RmsNormResult(Tensor out, Tensor rrms) {}

    /** RMS norm gradients: dX: (..., C), dW: (C). */
    public record RmsNormGrads(Tensor dX, Tensor dW) {}

    /** Batch norm output out: (N, C, H, W) plus the batch mean and invstd = 1/sqrt(biased var + eps), both (C). */
    public record BatchNormResult(Tensor out, Tensor mean, Tensor invstd) {}

    /** Batch norm gradients: dX: (N, C, H, W), dW: (C), dB: (C). */
    public record BatchNormGrads(Tensor dX, Tensor dW, Tensor dB) {}

    // ---------------------------------------------------------------- layer norm

    /**
     * out = (x - mean) * rstd * weight + bias over the last dim, with mean and the biased variance of each row and
     * rstd = 1/sqrt(var + eps). x: (..., C) float32 with C >= 1; weight, bias: (C) or null (meaning ones and zeros).
     */
    public static LayerNormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        final String op = "layerNorm";
        int cols = requireRows(op, x);
        requireVector(op, "weight", weight, cols, x);
        requireVector(op, "bias", bias, cols, x);
        int rows = (int) (x.numel() / cols);
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        try (Dense xd = Dense.of(x); Dense w = orOnes(weight, cols); Dense b = orZeros(bias, cols)) {
            Tensor out = Tensor.empty(DType.F32, x.shape());
            Tensor mean = Tensor.empty(DType.F32, statShape);
            Tensor rstd = Tensor.empty(DType.F32, statShape);
            MemorySegment os = out.segment();
            MemorySegment ms = mean.segment();
            MemorySegment rs = rstd.segment();
            Rows.forEach(rows, cols, (r, at) -> RowKernels.layerNorm(xd.seg, xd.off + at, w.seg, w.off, b.seg, b.off,
                    os, at, cols, eps, ms, r, rs, r));
            return new LayerNormResult(out, mean, rstd);
        }
    }

    /**
     * Gradients of {@link #layerNorm}. dOut, x: (..., C); mean, rstd: (...) as saved by the forward; weight: (C) or
     * null (ones). With xhat = (x - mean) * rstd and g = dOut * weight:
     * dX = rstd * (g - mean_C(g) - xhat * mean_C(g * xhat)), dW = sum_rows dOut * xhat, dB = sum_rows dOut.
     * dW and dB are returned whether or not the layer has a weight or bias.
     */
    public static LayerNormGrads layerNormBackward(Tensor dOut, Tensor x, Tensor mean, Tensor rstd, Tensor weight) {
        final String op = "layerNormBackward";
        int cols = requireRows(op, x);
        requireSame(op, "dOut", dOut, x);
        requireVector(op, "weight", weight, cols, x);
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        requireStat(op, "mean", mean, statShape);
        requireStat(op, "rstd", rstd, statShape);
        int rows = (int) (x.numel() / cols);
        try (Dense xd = Dense.of(x); Dense g = Dense.of(dOut); Dense m = Dense.of(mean); Dense rs = Dense.of(rstd);
             Dense w = orOnes(weight, cols)) {
            Tensor dX = Tensor.empty(DType.F32, x.shape());
            Tensor dW = Tensor.empty(DType.F32, cols);
            Tensor dB = Tensor.empty(DType.F32, cols);
            MemorySegment dxs = dX.segment();
            Rows.forEach(rows, cols, (r, at) -> RowKernels.layerNormBackward(g.seg, g.off + at, xd.seg, xd.off + at,
                    m.seg.getAtIndex(F32, m.off + r), rs.seg.getAtIndex(F32, rs.off + r), w.seg, w.off, dxs, at, cols));
            MemorySegment dws = dW.segment();
            MemorySegment dbs = dB.segment();
            Parallel.forRange(cols, COLUMN_GRAIN, (c0, c1) -> RowKernels.layerNormParamGrad(g.seg, g.off, xd.seg,
                    xd.off, m.seg, m.off, rs.seg, rs.off, rows, cols, c0, c1 - c0, dws, dbs));
            return new LayerNormGrads(dX, dW, dB);
        }
    }

    // ---------------------------------------------------------------- RMS norm

    /**
     * out = x * rrms * weight over the last dim, rrms = 1/sqrt(mean_C(x^2) + eps) (PyTorch's F.rms_norm with an
     * explicit eps). x: (..., C) float32 with C >= 1; weight: (C) or null (ones).
     */
    public static RmsNormResult rmsNorm(Tensor x, Tensor weight, float eps) {
        final String op = "rmsNorm";
        int cols = requireRows(op, x);
        requireVector(op, "weight", weight, cols, x);
        int rows = (int) (x.numel() / cols);
        try (Dense xd = Dense.of(x); Dense w = orOnes(weight, cols)) {
            Tensor out = Tensor.empty(DType.F32, x.shape());
            Tensor rrms = Tensor.empty(DType.F32, Arrays.copyOf(x.shape(), x.rank() - 1));
            MemorySegment os = out.segment();
            MemorySegment rs = rrms.segment();
            Rows.forEach(rows, cols, (r, at) -> RowKernels.rmsNorm(xd.seg, xd.off + at, w.seg, w.off, os, at, cols,
                    eps, rs, r));
            return new RmsNormResult(out, rrms);
        }
    }

    /**
     * Gradients of {@link #rmsNorm}. dOut, x: (..., C); rrms: (...) as saved; weight: (C) or null (ones). With
     * g = dOut * weight and r = rrms: dX = r * g - r^3 * x * mean_C(g * x), dW = sum_rows dOut * x * r.
     */
    public static RmsNormGrads rmsNormBackward(Tensor dOut, Tensor x, Tensor rrms, Tensor weight) {
        final String op = "rmsNormBackward";
        int cols = requireRows(op, x);
        requireSame(op, "dOut", dOut, x);
        requireVector(op, "weight", weight, cols, x);
        requireStat(op, "rrms", rrms, Arrays.copyOf(x.shape(), x.rank() - 1));
        int rows = (int) (x.numel() / cols);
        try (Dense xd = Dense.of(x); Dense g = Dense.of(dOut); Dense rs = Dense.of(rrms);
             Dense w = orOnes(weight, cols)) {
            Tensor dX = Tensor.empty(DType.F32, x.shape());
            Tensor dW = Tensor.empty(DType.F32, cols);
            MemorySegment dxs = dX.segment();
            Rows.forEach(rows, cols, (r, at) -> RowKernels.rmsNormBackward(g.seg, g.off + at, xd.seg, xd.off + at,
                    rs.seg.getAtIndex(F32, rs.off + r), w.seg, w.off, dxs, at, cols));
            MemorySegment dws = dW.segment();
            Parallel.forRange(cols, COLUMN_GRAIN, (c0, c1) -> RowKernels.rmsNormParamGrad(g.seg, g.off, xd.seg, xd.off,
                    rs.seg, rs.off, rows, cols, c0, c1 - c0, dws));
            return new RmsNormGrads(dX, dW);
        }
    }

    // ---------------------------------------------------------------- batch norm

    /**
     * Batch norm in training mode, as F.batch_norm(training=True). x: (N, C, H, W) float32; weight, bias: (C) or
     * null (ones, zeros); runningMean, runningVar: (C) float32 or null. Each channel is normalised with its batch
     * mean and biased variance over M = N*H*W values: out = (x - mean) * invstd * weight + bias with
     * invstd = 1/sqrt(var + eps). The running stats, when given, are updated in place:
     * running = (1 - momentum) * running + momentum * stat, using the UNBIASED variance var * M / (M - 1).
     *
     * @throws IllegalArgumentException when M is 1 (the unbiased variance is undefined; PyTorch refuses too)
     */
    public static BatchNormResult batchNorm2d(Tensor x, Tensor weight, Tensor bias, Tensor runningMean,
                                              Tensor runningVar, float momentum, float eps) {
        final String op = "batchNorm2d";
        int channels = requireNchw(op, x);
        requireVector(op, "weight", weight, channels, x);
        requireVector(op, "bias", bias, channels, x);
        requireVector(op, "runningMean", runningMean, channels, x);
        requireVector(op, "runningVar", runningVar, channels, x);
        int n = x.dim(0);
        int hw = x.dim(2) * x.dim(3);
        long m = (long) n * hw;
        if (m <= 1) {
            throw new IllegalArgumentException(op + ": expected more than 1 value per channel in training mode; got "
                    + x.describe() + " (N*H*W = " + m + "); hint: use batchNorm2dEval or a larger batch");
        }
        Dense xd = Dense.of(x);
        Tensor out = Tensor.empty(DType.F32, x.shape());
        Tensor mean = Tensor.empty(DType.F32, channels);
        Tensor invstd = Tensor.empty(DType.F32, channels);
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] b = bias == null ? null : bias.toFloatArray();
        double[] var = new double[channels];
        MemorySegment os = out.segment();
        MemorySegment ms = mean.segment();
        MemorySegment is = invstd.segment();
        long planeStride = (long) channels * hw;
        Parallel.forRange(channels, Rows.grain((int) Math.min(m, 1 << 20)), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double s = 0;                              // planes combine in double, in order
                for (int i = 0; i < n; i++) {
                    s += RowKernels.sum(xd.seg, xd.off + i * planeStride + (long) c * hw, hw);
                }
                float mu = (float) (s / m);
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    ss += RowKernels.sumSquaredDeviation(xd.seg, xd.off + i * planeStride + (long) c * hw, hw, mu);
                }
                var[c] = ss / m;
                float r = (float) (1.0 / Math.sqrt(var[c] + eps));
                float scale = w == null ? r : r * w[c];
                float shift = b == null ? 0f : b[c];
                for (int i = 0; i < n; i++) {
                    long o = i * planeStride + (long) c * hw;
                    RowKernels.affineCentered(xd.seg, xd.off + o, os, o, hw, mu, scale, shift);
                }
                ms.setAtIndex(F32, c, mu);
                is.setAtIndex(F32, c, r);
            }
        });
        xd.close();
        for (int c = 0; c < channels; c++) {
            if (runningMean != null) {
                float old = runningMean.getFloat(c);
                runningMean.setFloat((1 - momentum) * old + momentum * ms.getAtIndex(F32, c), c);
            }
            if (runningVar != null) {
                float old = runningVar.getFloat(c);
                runningVar.setFloat((float) ((1 - momentum) * old + momentum * var[c] * m / (m - 1)), c);
            }
        }
        return new BatchNormResult(out, mean, invstd);
    }

    /**
     * Batch norm in eval mode, as F.batch_norm(training=False): out = (x - runningMean) / sqrt(runningVar + eps)
     * * weight + bias per channel. x: (N, C, H, W) float32; runningMean, runningVar: (C), required; weight, bias:
     * (C) or null. Nothing is updated.
     */
    public static Tensor batchNorm2dEval(Tensor x, Tensor weight, Tensor bias, Tensor runningMean,
                                         Tensor runningVar, float eps) {
        final String op = "batchNorm2dEval";
        int channels = requireNchw(op, x);
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException(op + ": eval mode needs runningMean and runningVar; got "
                    + (runningMean == null ? "null" : "a") + " runningMean and "
                    + (runningVar == null ? "null" : "a") + " runningVar");
        }
        requireVector(op, "weight", weight, channels, x);
        requireVector(op, "bias", bias, channels, x);
        requireVector(op, "runningMean", runningMean, channels, x);
        requireVector(op, "runningVar", runningVar, channels, x);
        int n = x.dim(0);
        int hw = x.dim(2) * x.dim(3);
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] b = bias == null ? null : bias.toFloatArray();
        float[] rm = runningMean.toFloatArray();
        float[] rv = runningVar.toFloatArray();
        Dense xd = Dense.of(x);
        Tensor out = Tensor.empty(DType.F32, x.shape());
        MemorySegment os = out.segment();
        long planeStride = (long) channels * hw;
        Parallel.forRange(channels, Rows.grain((int) Math.min((long) n * hw, 1 << 20)), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                float r = (float) (1.0 / Math.sqrt((double) rv[c] + eps));
                float scale = w == null ? r : r * w[c];
                float shift = b == null ? 0f : b[c];
                for (int i = 0; i < n; i++) {
                    long o = i * planeStride + (long) c * hw;
                    RowKernels.affineCentered(xd.seg, xd.off + o, os, o, hw, rm[c], scale, shift);
                }
            }
        });
        xd.close();
        return out;
    }

    /**
     * Gradients of {@link #batchNorm2d} (training mode). dOut, x: (N, C, H, W); mean, invstd: (C) as saved; weight:
     * (C) or null. Per channel over its M values, with xhat = (x - mean) * invstd: dB = sum dOut,
     * dW = sum dOut * xhat, dX = weight * invstd / M * (M * dOut - dB - xhat * dW).
     */
    public static BatchNormGrads batchNorm2dBackward(Tensor dOut, Tensor x, Tensor mean, Tensor invstd,
                                                     Tensor weight) {
        final String op = "batchNorm2dBackward";
        int channels = requireNchw(op, x);
        requireSame(op, "dOut", dOut, x);
        requireVector(op, "weight", weight, channels, x);
        requireStat(op, "mean", mean, new int[] {channels});
        requireStat(op, "invstd", invstd, new int[] {channels});
        int n = x.dim(0);
        int hw = x.dim(2) * x.dim(3);
        long m = (long) n * hw;
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] mu = mean.toFloatArray();
        float[] is = invstd.toFloatArray();
        Dense xd = Dense.of(x);
        Dense gd = Dense.of(dOut);
        Tensor dX = Tensor.empty(DType.F32, x.shape());
        Tensor dW = Tensor.empty(DType.F32, channels);
        Tensor dB = Tensor.empty(DType.F32, channels);
        MemorySegment dxs = dX.segment();
        MemorySegment dws = dW.segment();
        MemorySegment dbs = dB.segment();
        long planeStride = (long) channels * hw;
        Parallel.forRange(channels, Rows.grain((int) Math.min(m, 1 << 20)), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double sumG = 0;
                double sumGx = 0;
                for (int i = 0; i < n; i++) {
                    long o = i * planeStride + (long) c * hw;
                    sumG += RowKernels.sum(gd.seg, gd.off + o, hw);
                    sumGx += RowKernels.dotCentered(gd.seg, gd.off + o, xd.seg, xd.off + o, hw, mu[c]);
                }
                double r = is[c];
                double wc = w == null ? 1.0 : w[c];
                double dWc = sumGx * r;
                // dX = a * dOut + b * (x - mean) + c with a = w r, b = -w r^2 dW / M, c = -w r dB / M
                float a = (float) (wc * r);
                float bb = (float) (-wc * r * r * dWc / m);
                float cc = (float) (-wc * r * sumG / m);
                if (m > 0) {
                    for (int i = 0; i < n; i++) {
                        long o = i * planeStride + (long) c * hw;
                        RowKernels.gradCentered(gd.seg, gd.off + o, xd.seg, xd.off + o, dxs, o, hw, a, bb, mu[c], cc);
                    }
                }
                dws.setAtIndex(F32, c, (float) dWc);
                dbs.setAtIndex(F32, c, (float) sumG);
            }
        });
        xd.close();
        gd.close();
        return new BatchNormGrads(dX, dW, dB);
    }

    // ---------------------------------------------------------------- validation

    /** Checks x: (..., C) float32 with C >= 1 and rank >= 1; returns C. */
    private static int requireRows(String op, Tensor x) {
        Softmax.requireF32(op, "x", x);
        if (x.rank() < 1 || x.dim(-1) < 1) {
            throw new ShapeMismatchException(op, "x: (..., C) with C >= 1", "x=" + x.describe(), null);
        }
        return x.dim(-1);
    }

    private static int requireNchw(String op, Tensor x) {
        Softmax.requireF32(op, "x", x);
        if (x.rank() != 4) {
            throw new ShapeMismatchException(op, "x: (N, C, H, W)", "x=" + x.describe(),
                    x.rank() == 3 ? "add a batch dim with unsqueeze(0)" : null);
        }
        return x.dim(1);
    }

    /** A per-channel parameter: null, or float32 of shape (C). */
    private static void requireVector(String op, String name, Tensor t, int c, Tensor x) {
        if (t == null) {
            return;
        }
        Softmax.requireF32(op, name, t);
        if (t.rank() != 1 || t.dim(0) != c) {
            throw new ShapeMismatchException(op, name + ": (C) = (" + c + ") for x=" + Shape.str(x.shape()),
                    name + "=" + Shape.str(t.shape()), null);
        }
    }

    private static void requireSame(String op, String name, Tensor t, Tensor x) {
        Softmax.requireF32(op, name, t);
        if (!Shape.same(t.shape(), x.shape())) {
            throw new ShapeMismatchException(op, name + " shaped like x=" + Shape.str(x.shape()),
                    name + "=" + Shape.str(t.shape()), null);
        }
    }

    private static void requireStat(String op, String name, Tensor t, int[] shape) {
        Softmax.requireF32(op, name, t);
        if (!Shape.same(t.shape(), shape)) {
            throw new ShapeMismatchException(op, name + ": " + Shape.str(shape) + " as saved by the forward",
                    name + "=" + Shape.str(t.shape()), null);
        }
    }

    /** weight made dense, or ones when the layer has no weight. */
    private static Dense orOnes(Tensor weight, int cols) {
        return weight == null ? Dense.owned(Tensor.ones(cols)) : Dense.of(weight);
    }

    /** bias made dense, or zeros when the layer has no bias. */
    private static Dense orZeros(Tensor bias, int cols) {
        return bias == null ? Dense.owned(Tensor.zeros(cols)) : Dense.of(bias);
    }
}
