package dev.tiller.tensor.kernel.ref;

import dev.tiller.tensor.kernel.ConvGeometry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference convolution kernels: slow, obvious, accumulate in double. Two roles: (1) the scalar twins of SimdConv's
 * im2col/col2im/bias kernels (same signatures), and (2) a direct seven-loop convolution, forward and both backward
 * passes, written from the definition and used as the ground truth for the im2col + GEMM op.
 *
 * <p>Definition (zero padding): out[n, co, oh, ow] = b[co] + sum over ci in co's group, ki, kj of
 * x[n, ci, oh sH - pH + ki dH, ow sW - pW + kj dW] * w[co, ci - g Cin/groups, ki, kj], with x read as 0 outside.
 */
public final class RefConv {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private RefConv() {}

    // ---------------------------------------------------------------- twins of SimdConv

    /**
     * Unfolds one image's group of Cin/groups channels into col: (Cin/groups * kH * kW, outH * outW), row r =
     * (c kH + ki) kW + kj, column oh outW + ow, value x[c, oh sH - pH + ki dH, ow sW - pW + kj dW] or 0 in the
     * padding. x: (Cin/groups, H, W) at xOff; col written in full at colOff.
     */
    public static void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment col, long colOff) {
        long r = 0;
        for (int c = 0; c < g.cinG(); c++) {
            for (int ki = 0; ki < g.kH(); ki++) {
                for (int kj = 0; kj < g.kW(); kj++, r++) {
                    for (int oh = 0; oh < g.outH(); oh++) {
                        for (int ow = 0; ow < g.outW(); ow++) {
                            int ih = oh * g.sH() - g.pH() + ki * g.dH();
                            int iw = ow * g.sW() - g.pW() + kj * g.dW();
                            float v = 0f;
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                v = x.getAtIndex(F32, xOff + ((long) c * g.h() + ih) * g.w() + iw);
                            }
                            col.setAtIndex(F32, colOff + r * g.colCols() + (long) oh * g.outW() + ow, v);
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of im2col: adds every col entry into the x element it was read from (padding entries are
     * dropped). x += col2im(col). Adds happen in row order r, then oh, then ow, in float: the order SimdConv keeps,
     * so the twins agree bitwise.
     */
    public static void col2im(ConvGeometry g, MemorySegment col, long colOff, MemorySegment x, long xOff) {
        long r = 0;
        for (int c = 0; c < g.cinG(); c++) {
            for (int ki = 0; ki < g.kH(); ki++) {
                for (int kj = 0; kj < g.kW(); kj++, r++) {
                    for (int oh = 0; oh < g.outH(); oh++) {
                        for (int ow = 0; ow < g.outW(); ow++) {
                            int ih = oh * g.sH() - g.pH() + ki * g.dH();
                            int iw = ow * g.sW() - g.pW() + kj * g.dW();
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                long xi = xOff + ((long) c * g.h() + ih) * g.w() + iw;
                                float v = col.getAtIndex(F32, colOff + r * g.colCols() + (long) oh * g.outW() + ow);
                                x.setAtIndex(F32, xi, x.getAtIndex(F32, xi) + v);
                            }
                        }
                    }
                }
            }
        }
    }

    /** out[r * len + j] = b[r] for r in [0, rows), j in [0, len): broadcasts a bias over output planes. */
    public static void broadcastRows(MemorySegment b, long bOff, int rows, int len, MemorySegment out, long outOff) {
        for (int r = 0; r < rows; r++) {
            float v = b.getAtIndex(F32, bOff + r);
            for (int j = 0; j < len; j++) {
                out.setAtIndex(F32, outOff + (long) r * len + j, v);
            }
        }
    }

    /**
     * Bias gradient: for channels c in [c0, c1), out[c] = sum over i in [0, n), j in [0, hw) of
     * d[dOff + (i C + c) hw + j], where d is (n, C, hw).
     */
    public static void planeSums(MemorySegment d, long dOff, int n, int channels, int hw, int c0, int c1,
                                 MemorySegment out, long outOff) {
        for (int c = c0; c < c1; c++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                long base = dOff + ((long) i * channels + c) * hw;
                for (int j = 0; j < hw; j++) {
                    sum += d.getAtIndex(F32, base + j);
                }
            }
            out.setAtIndex(F32, outOff + c, (float) sum);
        }
    }

    /** dst[j] += src[j] for j in [0, n), in float (one rounding per element, as the fast twin). */
    public static void accumulate(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int n) {
        for (int j = 0; j < n; j++) {
            dst.setAtIndex(F32, dstOff + j, dst.getAtIndex(F32, dstOff + j) + src.getAtIndex(F32, srcOff + j));
        }
    }

    // ---------------------------------------------------------------- direct convolution (ground truth)

    /**
     * Direct forward convolution of the whole batch. x: (N, Cin, H, W), w: (Cout, Cin/groups, kH, kW), b: (Cout)
     * or null, out: (N, Cout, outH, outW), all dense at their offsets. Each output is one double sum.
     */
    public static void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                              MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int n = 0; n < g.n(); n++) {
            for (int co = 0; co < g.cout(); co++) {
                int grp = co / g.coutG();
                for (int oh = 0; oh < g.outH(); oh++) {
                    for (int ow = 0; ow < g.outW(); ow++) {
                        double sum = b == null ? 0 : b.getAtIndex(F32, bOff + co);
                        for (int cg = 0; cg < g.cinG(); cg++) {
                            int ci = grp * g.cinG() + cg;
                            for (int ki = 0; ki < g.kH(); ki++) {
                                for (int kj = 0; kj < g.kW(); kj++) {
                                    int ih = oh * g.sH() - g.pH() + ki * g.dH();
                                    int iw = ow * g.sW() - g.pW() + kj * g.dW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) {
                                        continue;   // zero padding
                                    }
                                    sum += (double) x.getAtIndex(F32, xOff + xIndex(g, n, ci, ih, iw))
                                            * w.getAtIndex(F32, wOff + wIndex(g, co, cg, ki, kj));
                                }
                            }
                        }
                        out.setAtIndex(F32, outOff + outIndex(g, n, co, oh, ow), (float) sum);
                    }
                }
            }
        }
    }

    /**
     * Direct input gradient: dX[n, ci, ih, iw] = sum over co in ci's group, ki, kj with ih = oh sH - pH + ki dH and
     * iw = ow sW - pW + kj dW for some in-range (oh, ow) of dOut[n, co, oh, ow] * w[co, ci mod Cin/groups, ki, kj].
     * dOut: (N, Cout, outH, outW); dX: (N, Cin, H, W), overwritten.
     */
    public static void conv2dBackwardInput(ConvGeometry g, MemorySegment dOut, long dOutOff, MemorySegment w,
                                           long wOff, MemorySegment dX, long dXOff) {
        for (int n = 0; n < g.n(); n++) {
            for (int ci = 0; ci < g.cin(); ci++) {
                int grp = ci / g.cinG();
                int cg = ci - grp * g.cinG();
                for (int ih = 0; ih < g.h(); ih++) {
                    for (int iw = 0; iw < g.w(); iw++) {
                        double sum = 0;
                        for (int co = grp * g.coutG(); co < (grp + 1) * g.coutG(); co++) {
                            for (int ki = 0; ki < g.kH(); ki++) {
                                for (int kj = 0; kj < g.kW(); kj++) {
                                    int th = ih + g.pH() - ki * g.dH();   // = oh * sH when this tap hits (ih, iw)
                                    int tw = iw + g.pW() - kj * g.dW();
                                    if (th < 0 || tw < 0 || th % g.sH() != 0 || tw % g.sW() != 0) {
                                        continue;
                                    }
                                    int oh = th / g.sH();
                                    int ow = tw / g.sW();
                                    if (oh >= g.outH() || ow >= g.outW()) {
                                        continue;
                                    }
                                    sum += (double) dOut.getAtIndex(F32, dOutOff + outIndex(g, n, co, oh, ow))
                                            * w.getAtIndex(F32, wOff + wIndex(g, co, cg, ki, kj));
                                }
                            }
                        }
                        dX.setAtIndex(F32, dXOff + xIndex(g, n, ci, ih, iw), (float) sum);
                    }
                }
            }
        }
    }

    /**
     * Direct weight gradient: dW[co, cg, ki, kj] = sum over n, oh, ow of dOut[n, co, oh, ow] *
     * x[n, grp(co) Cin/groups + cg, oh sH - pH + ki dH, ow sW - pW + kj dW] (0 in the padding).
     * dOut: (N, Cout, outH, outW), x: (N, Cin, H, W); dW: (Cout, Cin/groups, kH, kW), overwritten.
     */
    public static void conv2dBackwardWeight(ConvGeometry g, MemorySegment dOut, long dOutOff, MemorySegment x,
                                            long xOff, MemorySegment dW, long dWOff) {
        for (int co = 0; co < g.cout(); co++) {
            int grp = co / g.coutG();
            for (int cg = 0; cg < g.cinG(); cg++) {
                int ci = grp * g.cinG() + cg;
                for (int ki = 0; ki < g.kH(); ki++) {
                    for (int kj = 0; kj < g.kW(); kj++) {
                        double sum = 0;
                        for (int n = 0; n < g.n(); n++) {
                            for (int oh = 0; oh < g.outH(); oh++) {
                                for (int ow = 0; ow < g.outW(); ow++) {
                                    int ih = oh * g.sH() - g.pH() + ki * g.dH();
                                    int iw = ow * g.sW() - g.pW() + kj * g.dW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) {
                                        continue;
                                    }
                                    sum += (double) dOut.getAtIndex(F32, dOutOff + outIndex(g, n, co, oh, ow))
                                            * x.getAtIndex(F32, xOff + xIndex(g, n, ci, ih, iw));
                                }
                            }
                        }
                        dW.setAtIndex(F32, dWOff + wIndex(g, co, cg, ki, kj), (float) sum);
                    }
                }
            }
        }
    }

    private static long xIndex(ConvGeometry g, int n, int c, int ih, int iw) {
        return (((long) n * g.cin() + c) * g.h() + ih) * g.w() + iw;
    }

    private static long wIndex(ConvGeometry g, int co, int cg, int ki, int kj) {
        return (((long) co * g.cinG() + cg) * g.kH() + ki) * g.kW() + kj;
    }

    private static long outIndex(ConvGeometry g, int n, int co, int oh, int ow) {
        return (((long) n * g.cout() + co) * g.outH() + oh) * g.outW() + ow;
    }
}
