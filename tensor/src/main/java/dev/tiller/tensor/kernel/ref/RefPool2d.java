package dev.tiller.tensor.kernel.ref;

import dev.tiller.tensor.kernel.PoolGeometry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference pooling kernels (twins of Pool2d, same signatures): every window position is visited and tested
 * against the input bounds, sums accumulate in double. Planes are dense (H, W) blocks, one per (n, c); a call
 * handles planes [p0, p1). Backward kernels add into dX (the op zeroes it) in output order, in float, as the fast
 * twin does, so the backward twins agree bitwise.
 */
public final class RefPool2d {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;

    private RefPool2d() {}

    /**
     * Max pooling with padding read as -infinity: out = max over the window, idx = its flat index ih W + iw in the
     * plane. Ties keep the first maximum in row-major window order; a NaN wins over numbers (the last NaN is kept),
     * as PyTorch. A window with no input element gives -infinity and index -1.
     */
    public static void maxPool2d(PoolGeometry g, MemorySegment x, long xOff, int p0, int p1,
                                 MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        long hw = (long) g.h() * g.w(), ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    float max = Float.NEGATIVE_INFINITY;
                    long arg = -1;
                    for (int ki = 0; ki < g.kH(); ki++) {
                        for (int kj = 0; kj < g.kW(); kj++) {
                            int ih = oh * g.sH() - g.pH() + ki * g.dH();
                            int iw = ow * g.sW() - g.pW() + kj * g.dW();
                            if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) {
                                continue;
                            }
                            float v = x.getAtIndex(F32, xOff + p * hw + (long) ih * g.w() + iw);
                            if (arg < 0 || v > max || Float.isNaN(v)) {
                                max = v;
                                arg = (long) ih * g.w() + iw;
                            }
                        }
                    }
                    long o = p * ohw + (long) oh * g.outW() + ow;
                    out.setAtIndex(F32, outOff + o, max);
                    idx.setAtIndex(I64, idxOff + o, arg);
                }
            }
        }
    }

    /** dX[p, idx[p, o]] += dOut[p, o] for every output o with idx >= 0, in output order. */
    public static void maxPool2dBackward(PoolGeometry g, MemorySegment dOut, long dOutOff, MemorySegment idx,
                                         long idxOff, int p0, int p1, MemorySegment dX, long dXOff) {
        long hw = (long) g.h() * g.w(), ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            for (long o = 0; o < ohw; o++) {
                long arg = idx.getAtIndex(I64, idxOff + p * ohw + o);
                if (arg >= 0) {
                    long xi = dXOff + p * hw + arg;
                    dX.setAtIndex(F32, xi, dX.getAtIndex(F32, xi) + dOut.getAtIndex(F32, dOutOff + p * ohw + o));
                }
            }
        }
    }

    /**
     * Average pooling (dilation 1). The window is clipped to the padded input [-pH, H + pH) x [-pW, W + pW)
     * (poolSize elements) and then to the input (count elements); out = sum / (countIncludePad ? poolSize : count),
     * or 0 for a window with no input element.
     */
    public static void avgPool2d(PoolGeometry g, boolean countIncludePad, MemorySegment x, long xOff, int p0, int p1,
                                 MemorySegment out, long outOff) {
        long hw = (long) g.h() * g.w(), ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    double sum = 0;
                    int count = 0;
                    int poolSize = 0;
                    for (int ki = 0; ki < g.kH(); ki++) {
                        for (int kj = 0; kj < g.kW(); kj++) {
                            int ih = oh * g.sH() - g.pH() + ki;
                            int iw = ow * g.sW() - g.pW() + kj;
                            if (ih < g.h() + g.pH() && iw < g.w() + g.pW()) {
                                poolSize++;                 // inside input + padding
                            }
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                count++;
                                sum += x.getAtIndex(F32, xOff + p * hw + (long) ih * g.w() + iw);
                            }
                        }
                    }
                    float v = count == 0 ? 0f : (float) (sum / (countIncludePad ? poolSize : count));
                    out.setAtIndex(F32, outOff + p * ohw + (long) oh * g.outW() + ow, v);
                }
            }
        }
    }

    /** dX[window] += dOut[o] / divisor for every output o (divisor as in avgPool2d), in output order. */
    public static void avgPool2dBackward(PoolGeometry g, boolean countIncludePad, MemorySegment dOut, long dOutOff,
                                         int p0, int p1, MemorySegment dX, long dXOff) {
        long hw = (long) g.h() * g.w(), ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    int count = 0;
                    int poolSize = 0;
                    for (int ki = 0; ki < g.kH(); ki++) {
                        for (int kj = 0; kj < g.kW(); kj++) {
                            int ih = oh * g.sH() - g.pH() + ki;
                            int iw = ow * g.sW() - g.pW() + kj;
                            poolSize += ih < g.h() + g.pH() && iw < g.w() + g.pW() ? 1 : 0;
                            count += ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w() ? 1 : 0;
                        }
                    }
                    if (count == 0) {
                        continue;
                    }
                    float d = dOut.getAtIndex(F32, dOutOff + p * ohw + (long) oh * g.outW() + ow)
                            / (countIncludePad ? poolSize : count);
                    for (int ki = 0; ki < g.kH(); ki++) {
                        for (int kj = 0; kj < g.kW(); kj++) {
                            int ih = oh * g.sH() - g.pH() + ki;
                            int iw = ow * g.sW() - g.pW() + kj;
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                long xi = dXOff + p * hw + (long) ih * g.w() + iw;
                                dX.setAtIndex(F32, xi, dX.getAtIndex(F32, xi) + d);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Adaptive average pooling of (H, W) planes to (outH, outW): output row i averages input rows
     * [floor(i H / outH), ceil((i + 1) H / outH)), likewise columns.
     */
    public static void adaptiveAvgPool2d(int h, int w, int outH, int outW, MemorySegment x, long xOff, int p0,
                                         int p1, MemorySegment out, long outOff) {
        long hw = (long) h * w, ohw = (long) outH * outW;
        for (int p = p0; p < p1; p++) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int hs = start(oh, h, outH), he = end(oh, h, outH);
                    int ws = start(ow, w, outW), we = end(ow, w, outW);
                    double sum = 0;
                    for (int ih = hs; ih < he; ih++) {
                        for (int iw = ws; iw < we; iw++) {
                            sum += x.getAtIndex(F32, xOff + p * hw + (long) ih * w + iw);
                        }
                    }
                    out.setAtIndex(F32, outOff + p * ohw + (long) oh * outW + ow,
                            (float) (sum / ((he - hs) * (we - ws))));
                }
            }
        }
    }

    /** dX[window(o)] += dOut[o] / |window(o)| for every output o, in output order. */
    public static void adaptiveAvgPool2dBackward(int h, int w, int outH, int outW, MemorySegment dOut, long dOutOff,
                                                 int p0, int p1, MemorySegment dX, long dXOff) {
        long hw = (long) h * w, ohw = (long) outH * outW;
        for (int p = p0; p < p1; p++) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int hs = start(oh, h, outH), he = end(oh, h, outH);
                    int ws = start(ow, w, outW), we = end(ow, w, outW);
                    float d = dOut.getAtIndex(F32, dOutOff + p * ohw + (long) oh * outW + ow)
                            / ((he - hs) * (we - ws));
                    for (int ih = hs; ih < he; ih++) {
                        for (int iw = ws; iw < we; iw++) {
                            long xi = dXOff + p * hw + (long) ih * w + iw;
                            dX.setAtIndex(F32, xi, dX.getAtIndex(F32, xi) + d);
                        }
                    }
                }
            }
        }
    }

    private static int start(int i, int in, int out) {
        return (int) ((long) i * in / out);
    }

    private static int end(int i, int in, int out) {
        return (int) (((long) (i + 1) * in + out - 1) / out);
    }
}
