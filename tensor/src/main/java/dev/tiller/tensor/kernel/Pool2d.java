package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Fast pooling kernels: each window's bounds are clipped to the input once, so the inner loops carry no bounds
 * tests; sums are in float, in row-major window order. Pooling windows are short and strided, so plain loops beat
 * vectors here, except for the convnets' 2x2 / stride 2 max pool, whose data-dependent branches are worth lanes.
 * Planes are dense (H, W) blocks, one per (n, c); a call handles planes [p0, p1) and the op layer splits planes
 * across threads. Twins with the same signatures and contracts: RefPool2d.
 */
public final class Pool2d {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;

    private Pool2d() {}

    /** See RefPool2d.maxPool2d (first maximum wins, NaN propagates, empty window gives -inf and index -1). */
    public static void maxPool2d(PoolGeometry g, MemorySegment x, long xOff, int p0, int p1,
                                 MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        if (g.kH() == 2 && g.kW() == 2 && g.sH() == 2 && g.sW() == 2 && g.pH() == 0 && g.pW() == 0
                && g.dH() == 1 && g.dW() == 1 && 2 * g.outH() <= g.h() && 2 * g.outW() <= g.w()) {
            maxPool2x2(g, x, xOff, p0, p1, out, outOff, idx, idxOff);
            return;
        }
        final int h = g.h(), w = g.w(), dH = g.dH(), dW = g.dW();
        final long hw = (long) h * w, ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            long plane = xOff + p * hw;
            long o = p * ohw;
            for (int oh = 0; oh < g.outH(); oh++) {
                int hs = oh * g.sH() - g.pH();
                int he = Math.min(hs + (g.kH() - 1) * dH + 1, h);
                if (hs < 0) {
                    hs += ((-hs + dH - 1) / dH) * dH;    // first tap at or below row 0
                }
                for (int ow = 0; ow < g.outW(); ow++, o++) {
                    int ws = ow * g.sW() - g.pW();
                    int we = Math.min(ws + (g.kW() - 1) * dW + 1, w);
                    if (ws < 0) {
                        ws += ((-ws + dW - 1) / dW) * dW;
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    long arg = hs < he && ws < we ? (long) hs * w + ws : -1;
                    for (int ih = hs; ih < he; ih += dH) {
                        long row = (long) ih * w;
                        for (int iw = ws; iw < we; iw += dW) {
                            float v = x.getAtIndex(F32, plane + row + iw);
                            if (v > max || v != v) {     // v != v: NaN propagates, as PyTorch
                                max = v;
                                arg = row + iw;
                            }
                        }
                    }
                    out.setAtIndex(F32, outOff + o, max);
                    idx.setAtIndex(I64, idxOff + o, arg);
                }
            }
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = S.withLanes(int.class);
    private static final VectorSpecies<Long> SL = S.withLanes(long.class);
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Lanes 0, 2, 4, ... of two vectors side by side (indexes past the first select from the second). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    /**
     * One output row of the 2x2 / stride 2 max pool, S.length() outputs at a time: returns how many outputs it
     * wrote (the rest go through the scalar loop). Input rows row0 and row0 + w of the plane; each window is
     * reduced as pick(pick(x00, x01), pick(x10, x11)), pick(a, b) = b if b > a or b is NaN, else a, in lanes with
     * blends instead of branches (on random data the scalar loop's branches mispredict about half the time).
     * This is the scalar scan's result: ranking NaN above every number and a later NaN above an earlier one, and
     * among equal numbers the earlier above the later, pick returns the higher-ranked of an earlier a and a later
     * b, so picking pairwise in scan order gives the first maximum, or the last NaN, and its index, as the scan.
     * A Pass method (SimdUnary.PASS_BLOCK): compiled on its own, its vectors stay unboxed.
     */
    private static int maxPool2x2Pass(MemorySegment x, long plane, int row0, int w, int outW,
                                      MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        final int lanes = S.length();
        final long half = (long) lanes * Float.BYTES;
        IntVector twice = IntVector.zero(SI).addIndex(2);               // 0, 2, 4, ...: window starts in a row
        int ow = 0;
        for (; ow + lanes <= outW; ow += lanes) {
            long at0 = (plane + row0 + 2L * ow) * Float.BYTES;
            long at1 = at0 + (long) w * Float.BYTES;
            FloatVector a0 = FloatVector.fromMemorySegment(S, x, at0, NATIVE);
            FloatVector a1 = FloatVector.fromMemorySegment(S, x, at0 + half, NATIVE);
            FloatVector b0 = FloatVector.fromMemorySegment(S, x, at1, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, x, at1 + half, NATIVE);
            FloatVector e = a0.rearrange(EVEN, a1);
            FloatVector od = a0.rearrange(ODD, a1);
            VectorMask<Float> t0 = od.compare(VectorOperators.GT, e).or(od.compare(VectorOperators.NE, od));
            FloatVector v0 = e.blend(od, t0);
            IntVector i0 = twice.add(row0 + 2 * ow).add(1, t0.cast(SI));
            e = b0.rearrange(EVEN, b1);
            od = b0.rearrange(ODD, b1);
            VectorMask<Float> t1 = od.compare(VectorOperators.GT, e).or(od.compare(VectorOperators.NE, od));
            FloatVector v1 = e.blend(od, t1);
            IntVector i1 = twice.add(row0 + w + 2 * ow).add(1, t1.cast(SI));
            VectorMask<Float> t = v1.compare(VectorOperators.GT, v0).or(v1.compare(VectorOperators.NE, v1));
            v0.blend(v1, t).intoMemorySegment(out, (outOff + ow) * Float.BYTES, NATIVE);
            IntVector arg = i0.blend(i1, t.cast(SI));
            for (int part = 0; part < lanes / SL.length(); part++) {
                ((LongVector) arg.convertShape(VectorOperators.I2L, SL, part))
                        .intoMemorySegment(idx, (idxOff + ow + (long) part * SL.length()) * Long.BYTES, NATIVE);
            }
        }
        return ow;
    }

    /**
     * The convnets' 2x2 / stride 2 window, every window inside the input: the general loop with its bounds and
     * window loops unrolled. Same scan order and tests, so the same values and indices.
     */
    private static void maxPool2x2(PoolGeometry g, MemorySegment x, long xOff, int p0, int p1,
                                   MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        final int w = g.w(), outH = g.outH(), outW = g.outW();
        final long hw = (long) g.h() * w, ohw = (long) outH * outW;
        for (int p = p0; p < p1; p++) {
            long plane = xOff + p * hw;
            long o = p * ohw;
            for (int oh = 0; oh < outH; oh++) {
                long row0 = (long) 2 * oh * w;
                long row1 = row0 + w;
                int ow = maxPool2x2Pass(x, plane, (int) row0, w, outW, out, outOff + o, idx, idxOff + o);
                o += ow;
                for (; ow < outW; ow++, o++) {
                    long i00 = row0 + 2 * ow;
                    long i10 = row1 + 2 * ow;
                    float max = x.getAtIndex(F32, plane + i00);       // > -inf or NaN: the first tap always wins
                    long arg = i00;
                    float v = x.getAtIndex(F32, plane + i00 + 1);
                    if (v > max || v != v) {
                        max = v;
                        arg = i00 + 1;
                    }
                    v = x.getAtIndex(F32, plane + i10);
                    if (v > max || v != v) {
                        max = v;
                        arg = i10;
                    }
                    v = x.getAtIndex(F32, plane + i10 + 1);
                    if (v > max || v != v) {
                        max = v;
                        arg = i10 + 1;
                    }
                    out.setAtIndex(F32, outOff + o, max);
                    idx.setAtIndex(I64, idxOff + o, arg);
                }
            }
        }
    }

    /** See RefPool2d.maxPool2dBackward. */
    public static void maxPool2dBackward(PoolGeometry g, MemorySegment dOut, long dOutOff, MemorySegment idx,
                                         long idxOff, int p0, int p1, MemorySegment dX, long dXOff) {
        final long hw = (long) g.h() * g.w(), ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            long plane = dXOff + p * hw;
            long o0 = p * ohw;
            for (long o = o0; o < o0 + ohw; o++) {
                long arg = idx.getAtIndex(I64, idxOff + o);
                if (arg >= 0) {
                    long xi = plane + arg;
                    dX.setAtIndex(F32, xi, dX.getAtIndex(F32, xi) + dOut.getAtIndex(F32, dOutOff + o));
                }
            }
        }
    }

    /** See RefPool2d.avgPool2d. */
    public static void avgPool2d(PoolGeometry g, boolean countIncludePad, MemorySegment x, long xOff, int p0, int p1,
                                 MemorySegment out, long outOff) {
        final int h = g.h(), w = g.w();
        final long hw = (long) h * w, ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            long plane = xOff + p * hw;
            long o = outOff + p * ohw;
            for (int oh = 0; oh < g.outH(); oh++) {
                int hs0 = oh * g.sH() - g.pH();
                int he0 = Math.min(hs0 + g.kH(), h + g.pH());
                int hs = Math.max(hs0, 0), he = Math.min(he0, h);
                for (int ow = 0; ow < g.outW(); ow++, o++) {
                    int ws0 = ow * g.sW() - g.pW();
                    int we0 = Math.min(ws0 + g.kW(), w + g.pW());
                    int ws = Math.max(ws0, 0), we = Math.min(we0, w);
                    if (hs >= he || ws >= we) {
                        out.setAtIndex(F32, o, 0f);
                        continue;
                    }
                    float sum = 0f;
                    for (int ih = hs; ih < he; ih++) {
                        long row = plane + (long) ih * w;
                        for (int iw = ws; iw < we; iw++) {
                            sum += x.getAtIndex(F32, row + iw);
                        }
                    }
                    int divisor = countIncludePad ? (he0 - hs0) * (we0 - ws0) : (he - hs) * (we - ws);
                    out.setAtIndex(F32, o, sum / divisor);
                }
            }
        }
    }

    /** See RefPool2d.avgPool2dBackward (same float adds in the same order). */
    public static void avgPool2dBackward(PoolGeometry g, boolean countIncludePad, MemorySegment dOut, long dOutOff,
                                         int p0, int p1, MemorySegment dX, long dXOff) {
        final int h = g.h(), w = g.w();
        final long hw = (long) h * w, ohw = (long) g.outH() * g.outW();
        for (int p = p0; p < p1; p++) {
            long plane = dXOff + p * hw;
            long o = dOutOff + p * ohw;
            for (int oh = 0; oh < g.outH(); oh++) {
                int hs0 = oh * g.sH() - g.pH();
                int he0 = Math.min(hs0 + g.kH(), h + g.pH());
                int hs = Math.max(hs0, 0), he = Math.min(he0, h);
                for (int ow = 0; ow < g.outW(); ow++, o++) {
                    int ws0 = ow * g.sW() - g.pW();
                    int we0 = Math.min(ws0 + g.kW(), w + g.pW());
                    int ws = Math.max(ws0, 0), we = Math.min(we0, w);
                    if (hs >= he || ws >= we) {
                        continue;
                    }
                    int divisor = countIncludePad ? (he0 - hs0) * (we0 - ws0) : (he - hs) * (we - ws);
                    float d = dOut.getAtIndex(F32, o) / divisor;
                    for (int ih = hs; ih < he; ih++) {
                        long row = plane + (long) ih * w;
                        for (int iw = ws; iw < we; iw++) {
                            dX.setAtIndex(F32, row + iw, dX.getAtIndex(F32, row + iw) + d);
                        }
                    }
                }
            }
        }
    }

    /** See RefPool2d.adaptiveAvgPool2d. */
    public static void adaptiveAvgPool2d(int h, int w, int outH, int outW, MemorySegment x, long xOff, int p0,
                                         int p1, MemorySegment out, long outOff) {
        final long hw = (long) h * w, ohw = (long) outH * outW;
        for (int p = p0; p < p1; p++) {
            long plane = xOff + p * hw;
            long o = outOff + p * ohw;
            for (int oh = 0; oh < outH; oh++) {
                int hs = (int) ((long) oh * h / outH), he = (int) (((long) (oh + 1) * h + outH - 1) / outH);
                for (int ow = 0; ow < outW; ow++, o++) {
                    int ws = (int) ((long) ow * w / outW), we = (int) (((long) (ow + 1) * w + outW - 1) / outW);
                    float sum = 0f;
                    for (int ih = hs; ih < he; ih++) {
                        long row = plane + (long) ih * w;
                        for (int iw = ws; iw < we; iw++) {
                            sum += x.getAtIndex(F32, row + iw);
                        }
                    }
                    out.setAtIndex(F32, o, sum / ((he - hs) * (we - ws)));
                }
            }
        }
    }

    /** See RefPool2d.adaptiveAvgPool2dBackward (same float adds in the same order). */
    public static void adaptiveAvgPool2dBackward(int h, int w, int outH, int outW, MemorySegment dOut, long dOutOff,
                                                 int p0, int p1, MemorySegment dX, long dXOff) {
        final long hw = (long) h * w, ohw = (long) outH * outW;
        for (int p = p0; p < p1; p++) {
            long plane = dXOff + p * hw;
            long o = dOutOff + p * ohw;
            for (int oh = 0; oh < outH; oh++) {
                int hs = (int) ((long) oh * h / outH), he = (int) (((long) (oh + 1) * h + outH - 1) / outH);
                for (int ow = 0; ow < outW; ow++, o++) {
                    int ws = (int) ((long) ow * w / outW), we = (int) (((long) (ow + 1) * w + outW - 1) / outW);
                    float d = dOut.getAtIndex(F32, o) / ((he - hs) * (we - ws));
                    for (int ih = hs; ih < he; ih++) {
                        long row = plane + (long) ih * w;
                        for (int iw = ws; iw < we; iw++) {
                            dX.setAtIndex(F32, row + iw, dX.getAtIndex(F32, row + iw) + d);
                        }
                    }
                }
            }
        }
    }
}
