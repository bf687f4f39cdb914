package dev.tiller.tensor.kernel.ref;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference row kernels for softmax, normalisation, cross-entropy and embedding: one obvious loop per pass,
 * accumulation in double. The ground truth for SimdRows, which has the same signatures and contracts. All offsets
 * and counts are in float32 elements; a "row" is n consecutive floats. StrictMath, not Math, for exp and log: the
 * same bits in every JIT tier, so runs on the twins are reproducible too.
 */
public final class RefRows {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefRows() {}

    /**
     * out[i] = exp(x[i]), rounded from double. The SIMD twin is within 2 ulp for normal results. out may alias x
     * exactly.
     */
    public static void exp(MemorySegment x, long xOff, MemorySegment out, long outOff, int n) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, outOff + i, (float) StrictMath.exp(x.getAtIndex(F32, xOff + i)));
        }
    }

    /** Returns max_i x[xOff+i] for i in [0, n); -infinity when n == 0. */
    public static float max(MemorySegment x, long xOff, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x.getAtIndex(F32, xOff + i));
        }
        return m;
    }

    /** Returns sum_i x[xOff+i]. */
    public static float sum(MemorySegment x, long xOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F32, xOff + i);
        }
        return (float) s;
    }

    /** Returns sum_i (x[xOff+i] - mean)^2. */
    public static float sumSquaredDeviation(MemorySegment x, long xOff, int n, float mean) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) x.getAtIndex(F32, xOff + i) - mean;
            s += d * d;
        }
        return (float) s;
    }

    /** Returns sum_i g[gOff+i] * (x[xOff+i] - mean). */
    public static float dotCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, int n, float mean) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) g.getAtIndex(F32, gOff + i) * ((double) x.getAtIndex(F32, xOff + i) - mean);
        }
        return (float) s;
    }

    /** Returns sum_i exp(x[xOff+i] - shift). */
    public static float sumExpShifted(MemorySegment x, long xOff, int n, float shift) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += StrictMath.exp((double) x.getAtIndex(F32, xOff + i) - shift);
        }
        return (float) s;
    }

    /** out[i] = exp(x[i] - shift) * scale + add. out may alias x exactly. */
    public static void expShiftScale(MemorySegment x, long xOff, MemorySegment out, long outOff, int n,
                                     float shift, float scale, float add) {
        for (int i = 0; i < n; i++) {
            double e = StrictMath.exp((double) x.getAtIndex(F32, xOff + i) - shift);
            out.setAtIndex(F32, outOff + i, (float) (e * scale + add));
        }
    }

    /** out[i] = (x[i] - mean) * scale + shift. out may alias x exactly. */
    public static void affineCentered(MemorySegment x, long xOff, MemorySegment out, long outOff, int n,
                                      float mean, float scale, float shift) {
        for (int i = 0; i < n; i++) {
            double v = ((double) x.getAtIndex(F32, xOff + i) - mean) * scale + shift;
            out.setAtIndex(F32, outOff + i, (float) v);
        }
    }

    /** out[i] = a * g[i] + b * (x[i] - mean) + c (the batch-norm input gradient). */
    public static void gradCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, MemorySegment out,
                                    long outOff, int n, float a, float b, float mean, float c) {
        for (int i = 0; i < n; i++) {
            double v = (double) a * g.getAtIndex(F32, gOff + i)
                    + (double) b * ((double) x.getAtIndex(F32, xOff + i) - mean) + c;
            out.setAtIndex(F32, outOff + i, (float) v);
        }
    }

    /** y[i] += x[i] (float addition, so both twins agree bitwise). */
    public static void addInPlace(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        for (int i = 0; i < n; i++) {
            y.setAtIndex(F32, yOff + i, y.getAtIndex(F32, yOff + i) + x.getAtIndex(F32, xOff + i));
        }
    }

    /**
     * y = softmax(scale * x) over one row of n: y[i] = exp(scale*(x[i] - max)) / sum_j exp(scale*(x[j] - max)),
     * with scale > 0. y may alias x exactly.
     */
    public static void softmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n, float scale) {
        if (n == 0) {
            return;
        }
        double m = max(x, xOff, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += StrictMath.exp(scale * ((double) x.getAtIndex(F32, xOff + i) - m));
        }
        for (int i = 0; i < n; i++) {       // recomputes exp rather than buffering: obvious beats fast here
            double e = StrictMath.exp(scale * ((double) x.getAtIndex(F32, xOff + i) - m));
            y.setAtIndex(F32, yOff + i, (float) (e / s));
        }
    }

    /** y = log_softmax(x) over one row: y[i] = x[i] - max - log(sum_j exp(x[j] - max)). y may alias x exactly. */
    public static void logSoftmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        if (n == 0) {
            return;
        }
        double m = max(x, xOff, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += StrictMath.exp((double) x.getAtIndex(F32, xOff + i) - m);
        }
        double lse = m + StrictMath.log(s);
        for (int i = 0; i < n; i++) {
            y.setAtIndex(F32, yOff + i, (float) (x.getAtIndex(F32, xOff + i) - lse));
        }
    }

    /** dX[i] = scale * y[i] * (dY[i] - sum_j dY[j] y[j]): the softmax vector-Jacobian product (times scale). */
    public static void softmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff, MemorySegment dX,
                                       long dxOff, int n, float scale) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) dY.getAtIndex(F32, dyOff + i) * y.getAtIndex(F32, yOff + i);
        }
        for (int i = 0; i < n; i++) {
            double yi = y.getAtIndex(F32, yOff + i);
            dX.setAtIndex(F32, dxOff + i, (float) (scale * yi * (dY.getAtIndex(F32, dyOff + i) - dot)));
        }
    }

    /** dX[i] = dY[i] - exp(y[i]) * sum_j dY[j], with y = log_softmax(x). */
    public static void logSoftmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff,
                                          MemorySegment dX, long dxOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += dY.getAtIndex(F32, dyOff + i);
        }
        for (int i = 0; i < n; i++) {
            double v = dY.getAtIndex(F32, dyOff + i) - StrictMath.exp(y.getAtIndex(F32, yOff + i)) * s;
            dX.setAtIndex(F32, dxOff + i, (float) v);
        }
    }

    /**
     * Layer norm of one row of n (n >= 1): mean and biased variance by two passes, rstd = 1/sqrt(var + eps),
     * out[i] = (x[i] - mean) * rstd * w[i] + b[i]. Writes mean to stats[meanOff] and rstd to stats2[rstdOff].
     */
    public static void layerNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment b, long bOff,
                                 MemorySegment out, long outOff, int n, float eps,
                                 MemorySegment mean, long meanOff, MemorySegment rstd, long rstdOff) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F32, xOff + i);
        }
        double mu = s / n;
        double v = 0;
        for (int i = 0; i < n; i++) {
            double d = x.getAtIndex(F32, xOff + i) - mu;
            v += d * d;
        }
        double r = 1.0 / Math.sqrt(v / n + eps);
        for (int i = 0; i < n; i++) {
            double xh = (x.getAtIndex(F32, xOff + i) - mu) * r;
            out.setAtIndex(F32, outOff + i, (float) (xh * w.getAtIndex(F32, wOff + i) + b.getAtIndex(F32, bOff + i)));
        }
        mean.setAtIndex(F32, meanOff, (float) mu);
        rstd.setAtIndex(F32, rstdOff, (float) r);
    }

    /**
     * Input gradient of layer norm for one row (llm.c layernorm_backward): with xhat = (x - mean) * rstd and
     * g = dOut * w, dX[i] = rstd * (g[i] - mean_j g[j] - xhat[i] * mean_j (g[j] xhat[j])).
     */
    public static void layerNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float mean,
                                         float rstd, MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        double gMean = 0;
        double gxMean = 0;
        for (int i = 0; i < n; i++) {
            double g = (double) dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            double xh = ((double) x.getAtIndex(F32, xOff + i) - mean) * rstd;
            gMean += g;
            gxMean += g * xh;
        }
        gMean /= n;
        gxMean /= n;
        for (int i = 0; i < n; i++) {
            double g = (double) dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            double xh = ((double) x.getAtIndex(F32, xOff + i) - mean) * rstd;
            dX.setAtIndex(F32, dxOff + i, (float) (rstd * (g - gMean - xh * gxMean)));
        }
    }

    /**
     * Weight and bias gradients of layer norm for columns [c0, c0 + nc) of a (rows, C) problem:
     * dW[c] = sum_r dOut[r, c] * (x[r, c] - mean[r]) * rstd[r], dB[c] = sum_r dOut[r, c], rows in order.
     * Overwrites dW[c0..] and dB[c0..] (dW and dB are indexed from element 0; the others from their offsets).
     */
    public static void layerNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff,
                                          MemorySegment mean, long meanOff, MemorySegment rstd, long rstdOff,
                                          int rows, int cols, int c0, int nc,
                                          MemorySegment dW, MemorySegment dB) {
        for (int c = c0; c < c0 + nc; c++) {
            double sw = 0;
            double sb = 0;
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                double g = dOut.getAtIndex(F32, dOff + o);
                double xh = ((double) x.getAtIndex(F32, xOff + o) - mean.getAtIndex(F32, meanOff + r))
                        * rstd.getAtIndex(F32, rstdOff + r);
                sw += g * xh;
                sb += g;
            }
            dW.setAtIndex(F32, c, (float) sw);
            dB.setAtIndex(F32, c, (float) sb);
        }
    }

    /**
     * RMS norm of one row (n >= 1): r = 1/sqrt(mean(x^2) + eps), out[i] = x[i] * r * w[i]; writes r to
     * rrms[rOff].
     */
    public static void rmsNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment out,
                               long outOff, int n, float eps, MemorySegment rrms, long rOff) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = x.getAtIndex(F32, xOff + i);
            s += v * v;
        }
        double r = 1.0 / Math.sqrt(s / n + eps);
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, outOff + i, (float) (x.getAtIndex(F32, xOff + i) * r * w.getAtIndex(F32, wOff + i)));
        }
        rrms.setAtIndex(F32, rOff, (float) r);
    }

    /**
     * Input gradient of RMS norm for one row: with g = dOut * w, dX[i] = r * g[i] - r^3 * x[i] * mean_j(g[j] x[j]).
     */
    public static void rmsNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float r,
                                       MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        double gx = 0;
        for (int i = 0; i < n; i++) {
            gx += (double) dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i) * x.getAtIndex(F32, xOff + i);
        }
        double k = (double) r * r * r * gx / n;
        for (int i = 0; i < n; i++) {
            double g = (double) dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            dX.setAtIndex(F32, dxOff + i, (float) (r * g - k * x.getAtIndex(F32, xOff + i)));
        }
    }

    /**
     * Weight gradient of RMS norm for columns [c0, c0 + nc): dW[c] = sum_r dOut[r, c] * x[r, c] * rrms[r],
     * rows in order; overwrites dW[c0..].
     */
    public static void rmsNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff,
                                        MemorySegment rrms, long rOff, int rows, int cols, int c0, int nc,
                                        MemorySegment dW) {
        for (int c = c0; c < c0 + nc; c++) {
            double sw = 0;
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                double gx = (double) dOut.getAtIndex(F32, dOff + o) * x.getAtIndex(F32, xOff + o);
                sw += gx * rrms.getAtIndex(F32, rOff + r);
            }
            dW.setAtIndex(F32, c, (float) sw);
        }
    }
}
