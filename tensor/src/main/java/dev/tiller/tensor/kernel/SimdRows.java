package dev.tiller.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SIMD row kernels for softmax, normalisation, cross-entropy and embedding; single-threaded (the op layer runs rows
 * in parallel). Twin: ref.RefRows, same signatures and contracts (read the contracts there). Each kernel runs its
 * vector loop to loopBound and a scalar tail; accumulation is float32 in vector lanes, reduced once per row.
 */
public final class SimdRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private SimdRows() {}

    // NOTE: lanewise(EXP) and reduceLanes(ADD) are avoided on purpose (their bits depend on the JIT tier, see
    // VecMath): lanes are summed in lane order by VecMath.sumLanes, and exp is VecMath.exp.

    private static float sumLanes(FloatVector v) {
        return VecMath.sumLanes(v);
    }

    private static FloatVector exp(FloatVector x) {
        return VecMath.exp(x);
    }

    /** Scalar exp for the tails: StrictMath (fdlibm), identical in every JIT tier. */
    private static float expTail(float x) {
        return (float) StrictMath.exp(x);
    }

    private static FloatVector load(MemorySegment m, long off) {
        return FloatVector.fromMemorySegment(S, m, off * Float.BYTES, NATIVE);
    }

    private static void store(FloatVector v, MemorySegment m, long off) {
        v.intoMemorySegment(m, off * Float.BYTES, NATIVE);
    }

    /** See RefRows.exp. */
    public static void exp(MemorySegment x, long xOff, MemorySegment out, long outOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(exp(load(x, xOff + i)), out, outOff + i);
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, outOff + i, expTail(x.getAtIndex(F32, xOff + i)));
        }
    }

    /** See RefRows.max. */
    public static float max(MemorySegment x, long xOff, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(n); i < bound; i += L) {
                acc = acc.max(load(x, xOff + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x.getAtIndex(F32, xOff + i));
        }
        return m;
    }

    /** See RefRows.sum. */
    public static float sum(MemorySegment x, long xOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = acc.add(load(x, xOff + i));
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += x.getAtIndex(F32, xOff + i);
        }
        return s;
    }

    /** See RefRows.sumSquaredDeviation. */
    public static float sumSquaredDeviation(MemorySegment x, long xOff, int n, float mean) {
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector d = load(x, xOff + i).sub(vm);
            acc = d.fma(d, acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            float d = x.getAtIndex(F32, xOff + i) - mean;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** See RefRows.dotCentered. */
    public static float dotCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, int n, float mean) {
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = load(g, gOff + i).fma(load(x, xOff + i).sub(vm), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s = Math.fma(g.getAtIndex(F32, gOff + i), x.getAtIndex(F32, xOff + i) - mean, s);
        }
        return s;
    }

    /** See RefRows.sumExpShifted. */
    public static float sumExpShifted(MemorySegment x, long xOff, int n, float shift) {
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = acc.add(exp(load(x, xOff + i).sub(vs)));
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += expTail(x.getAtIndex(F32, xOff + i) - shift);
        }
        return s;
    }

    /** See RefRows.expShiftScale. */
    public static void expShiftScale(MemorySegment x, long xOff, MemorySegment out, long outOff, int n,
                                     float shift, float scale, float add) {
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector vk = FloatVector.broadcast(S, scale);
        FloatVector va = FloatVector.broadcast(S, add);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(exp(load(x, xOff + i).sub(vs)).fma(vk, va), out, outOff + i);
        }
        for (; i < n; i++) {
            float e = expTail(x.getAtIndex(F32, xOff + i) - shift);
            out.setAtIndex(F32, outOff + i, Math.fma(e, scale, add));
        }
    }

    /** See RefRows.affineCentered. */
    public static void affineCentered(MemorySegment x, long xOff, MemorySegment out, long outOff, int n,
                                      float mean, float scale, float shift) {
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector vk = FloatVector.broadcast(S, scale);
        FloatVector vb = FloatVector.broadcast(S, shift);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(x, xOff + i).sub(vm).fma(vk, vb), out, outOff + i);
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, outOff + i, Math.fma(x.getAtIndex(F32, xOff + i) - mean, scale, shift));
        }
    }

    /** See RefRows.gradCentered. */
    public static void gradCentered(MemorySegment g, long gOff, MemorySegment x, long xOff, MemorySegment out,
                                    long outOff, int n, float a, float b, float mean, float c) {
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector vc = FloatVector.broadcast(S, c);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector t = load(x, xOff + i).sub(vm).fma(vb, vc);
            store(load(g, gOff + i).fma(va, t), out, outOff + i);
        }
        for (; i < n; i++) {
            float t = Math.fma(x.getAtIndex(F32, xOff + i) - mean, b, c);
            out.setAtIndex(F32, outOff + i, Math.fma(g.getAtIndex(F32, gOff + i), a, t));
        }
    }

    /** See RefRows.addInPlace. */
    public static void addInPlace(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(y, yOff + i).add(load(x, xOff + i)), y, yOff + i);
        }
        for (; i < n; i++) {
            y.setAtIndex(F32, yOff + i, y.getAtIndex(F32, yOff + i) + x.getAtIndex(F32, xOff + i));
        }
    }

    /** See RefRows.softmax. Three passes: max, exp and sum (exp stored in y), scale by 1/sum. */
    public static void softmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n, float scale) {
        if (n == 0) {
            return;
        }
        float m = max(x, xOff, n);
        final int bound = S.loopBound(n);
        float s = expShiftedPass(x, xOff, y, yOff, bound, m, scale);
        int i = bound;
        for (; i < n; i++) {
            float e = expTail((x.getAtIndex(F32, xOff + i) - m) * scale);
            y.setAtIndex(F32, yOff + i, e);
            s += e;
        }
        float inv = 1f / s;
        FloatVector vi = FloatVector.broadcast(S, inv);
        i = 0;
        for (; i < bound; i += L) {
            store(load(y, yOff + i).mul(vi), y, yOff + i);
        }
        for (; i < n; i++) {
            y.setAtIndex(F32, yOff + i, y.getAtIndex(F32, yOff + i) * inv);
        }
    }

    /**
     * y = e^((x - m) scale) over the first bound floats (a multiple of L); returns their sum in lane order. A pass
     * of its own, kept out of its callers (the dontinline rule for *Pass, see SimdUnary.PASS_BLOCK): inlined into
     * softmax, the exp ran past C2's node cutoff and boxed its vectors.
     */
    private static float expShiftedPass(MemorySegment x, long xOff, MemorySegment y, long yOff, int bound, float m,
                                        float scale) {
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector vk = FloatVector.broadcast(S, scale);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < bound; i += L) {
            FloatVector e = exp(load(x, xOff + i).sub(vm).mul(vk));
            store(e, y, yOff + i);
            acc = acc.add(e);
        }
        return sumLanes(acc);
    }

    /** See RefRows.logSoftmax. Computes y = (x - max) - log(sum exp(x - max)). */
    public static void logSoftmax(MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        if (n == 0) {
            return;
        }
        float m = max(x, xOff, n);
        float logSum = (float) StrictMath.log(sumExpShifted(x, xOff, n, m));
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector vl = FloatVector.broadcast(S, logSum);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(x, xOff + i).sub(vm).sub(vl), y, yOff + i);
        }
        for (; i < n; i++) {
            y.setAtIndex(F32, yOff + i, (x.getAtIndex(F32, xOff + i) - m) - logSum);
        }
    }

    /** See RefRows.softmaxBackward. */
    public static void softmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff, MemorySegment dX,
                                       long dxOff, int n, float scale) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        final int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc = load(dY, dyOff + i).fma(load(y, yOff + i), acc);
        }
        float dot = sumLanes(acc);
        for (; i < n; i++) {
            dot = Math.fma(dY.getAtIndex(F32, dyOff + i), y.getAtIndex(F32, yOff + i), dot);
        }
        FloatVector vd = FloatVector.broadcast(S, dot);
        FloatVector vk = FloatVector.broadcast(S, scale);
        i = 0;
        for (; i < bound; i += L) {
            store(load(y, yOff + i).mul(vk).mul(load(dY, dyOff + i).sub(vd)), dX, dxOff + i);
        }
        for (; i < n; i++) {
            dX.setAtIndex(F32, dxOff + i, y.getAtIndex(F32, yOff + i) * scale * (dY.getAtIndex(F32, dyOff + i) - dot));
        }
    }

    /** See RefRows.logSoftmaxBackward. */
    public static void logSoftmaxBackward(MemorySegment y, long yOff, MemorySegment dY, long dyOff,
                                          MemorySegment dX, long dxOff, int n) {
        float s = sum(dY, dyOff, n);
        FloatVector vs = FloatVector.broadcast(S, -s);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(exp(load(y, yOff + i)).fma(vs, load(dY, dyOff + i)), dX, dxOff + i);
        }
        for (; i < n; i++) {
            float e = expTail(y.getAtIndex(F32, yOff + i));
            dX.setAtIndex(F32, dxOff + i, Math.fma(e, -s, dY.getAtIndex(F32, dyOff + i)));
        }
    }

    /** See RefRows.layerNorm. Two passes for mean and variance (float lanes), a third to normalise. */
    public static void layerNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment b, long bOff,
                                 MemorySegment out, long outOff, int n, float eps,
                                 MemorySegment mean, long meanOff, MemorySegment rstd, long rstdOff) {
        float mu = sum(x, xOff, n) / n;
        float var = sumSquaredDeviation(x, xOff, n, mu) / n;
        float r = (float) (1.0 / Math.sqrt(var + eps));
        FloatVector vm = FloatVector.broadcast(S, mu);
        FloatVector vr = FloatVector.broadcast(S, r);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector xh = load(x, xOff + i).sub(vm).mul(vr);
            store(xh.fma(load(w, wOff + i), load(b, bOff + i)), out, outOff + i);
        }
        for (; i < n; i++) {
            float xh = (x.getAtIndex(F32, xOff + i) - mu) * r;
            out.setAtIndex(F32, outOff + i, Math.fma(xh, w.getAtIndex(F32, wOff + i), b.getAtIndex(F32, bOff + i)));
        }
        mean.setAtIndex(F32, meanOff, mu);
        rstd.setAtIndex(F32, rstdOff, r);
    }

    /** See RefRows.layerNormBackward. */
    public static void layerNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float mean,
                                         float rstd, MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector vr = FloatVector.broadcast(S, rstd);
        FloatVector accG = FloatVector.zero(S);
        FloatVector accGx = FloatVector.zero(S);
        int i = 0;
        final int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector g = load(dOut, dOff + i).mul(load(w, wOff + i));
            FloatVector xh = load(x, xOff + i).sub(vm).mul(vr);
            accG = accG.add(g);
            accGx = g.fma(xh, accGx);
        }
        float gSum = sumLanes(accG);
        float gxSum = sumLanes(accGx);
        for (; i < n; i++) {
            float g = dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            float xh = (x.getAtIndex(F32, xOff + i) - mean) * rstd;
            gSum += g;
            gxSum = Math.fma(g, xh, gxSum);
        }
        float gMean = gSum / n;
        float gxMean = gxSum / n;
        FloatVector vgm = FloatVector.broadcast(S, gMean);
        FloatVector vgx = FloatVector.broadcast(S, -gxMean);
        i = 0;
        for (; i < bound; i += L) {
            FloatVector g = load(dOut, dOff + i).mul(load(w, wOff + i));
            FloatVector xh = load(x, xOff + i).sub(vm).mul(vr);
            store(xh.fma(vgx, g.sub(vgm)).mul(vr), dX, dxOff + i);
        }
        for (; i < n; i++) {
            float g = dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            float xh = (x.getAtIndex(F32, xOff + i) - mean) * rstd;
            dX.setAtIndex(F32, dxOff + i, Math.fma(xh, -gxMean, g - gMean) * rstd);
        }
    }

    /** See RefRows.layerNormParamGrad. Vectorised across columns; each column sums its rows in order. */
    public static void layerNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff,
                                          MemorySegment mean, long meanOff, MemorySegment rstd, long rstdOff,
                                          int rows, int cols, int c0, int nc,
                                          MemorySegment dW, MemorySegment dB) {
        int c = c0;
        final int end = c0 + nc;
        for (; c + L <= end; c += L) {
            FloatVector sw = FloatVector.zero(S);
            FloatVector sb = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                FloatVector g = load(dOut, dOff + o);
                float mu = mean.getAtIndex(F32, meanOff + r);
                FloatVector xh = load(x, xOff + o).sub(mu).mul(rstd.getAtIndex(F32, rstdOff + r));
                sw = g.fma(xh, sw);
                sb = sb.add(g);
            }
            store(sw, dW, c);
            store(sb, dB, c);
        }
        for (; c < end; c++) {
            float sw = 0f;
            float sb = 0f;
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                float g = dOut.getAtIndex(F32, dOff + o);
                float mu = mean.getAtIndex(F32, meanOff + r);
                float xh = (x.getAtIndex(F32, xOff + o) - mu) * rstd.getAtIndex(F32, rstdOff + r);
                sw = Math.fma(g, xh, sw);
                sb += g;
            }
            dW.setAtIndex(F32, c, sw);
            dB.setAtIndex(F32, c, sb);
        }
    }

    /** See RefRows.rmsNorm. */
    public static void rmsNorm(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment out,
                               long outOff, int n, float eps, MemorySegment rrms, long rOff) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        final int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = load(x, xOff + i);
            acc = v.fma(v, acc);
        }
        float ss = sumLanes(acc);
        for (; i < n; i++) {
            float v = x.getAtIndex(F32, xOff + i);
            ss = Math.fma(v, v, ss);
        }
        float r = (float) (1.0 / Math.sqrt(ss / n + eps));
        FloatVector vr = FloatVector.broadcast(S, r);
        i = 0;
        for (; i < bound; i += L) {
            store(load(x, xOff + i).mul(vr).mul(load(w, wOff + i)), out, outOff + i);
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, outOff + i, x.getAtIndex(F32, xOff + i) * r * w.getAtIndex(F32, wOff + i));
        }
        rrms.setAtIndex(F32, rOff, r);
    }

    /** See RefRows.rmsNormBackward. */
    public static void rmsNormBackward(MemorySegment dOut, long dOff, MemorySegment x, long xOff, float r,
                                       MemorySegment w, long wOff, MemorySegment dX, long dxOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        final int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc = load(dOut, dOff + i).mul(load(w, wOff + i)).fma(load(x, xOff + i), acc);
        }
        float gx = sumLanes(acc);
        for (; i < n; i++) {
            gx = Math.fma(dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i), x.getAtIndex(F32, xOff + i),
                    gx);
        }
        float k = r * r * r * gx / n;
        FloatVector vr = FloatVector.broadcast(S, r);
        FloatVector vk = FloatVector.broadcast(S, -k);
        i = 0;
        for (; i < bound; i += L) {
            FloatVector g = load(dOut, dOff + i).mul(load(w, wOff + i));
            store(load(x, xOff + i).fma(vk, g.mul(vr)), dX, dxOff + i);
        }
        for (; i < n; i++) {
            float g = dOut.getAtIndex(F32, dOff + i) * w.getAtIndex(F32, wOff + i);
            dX.setAtIndex(F32, dxOff + i, Math.fma(x.getAtIndex(F32, xOff + i), -k, g * r));
        }
    }

    /** See RefRows.rmsNormParamGrad. */
    public static void rmsNormParamGrad(MemorySegment dOut, long dOff, MemorySegment x, long xOff,
                                        MemorySegment rrms, long rOff, int rows, int cols, int c0, int nc,
                                        MemorySegment dW) {
        int c = c0;
        final int end = c0 + nc;
        for (; c + L <= end; c += L) {
            FloatVector sw = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                FloatVector vr = FloatVector.broadcast(S, rrms.getAtIndex(F32, rOff + r));
                sw = load(dOut, dOff + o).mul(load(x, xOff + o)).fma(vr, sw);
            }
            store(sw, dW, c);
        }
        for (; c < end; c++) {
            float sw = 0f;
            for (int r = 0; r < rows; r++) {
                long o = (long) r * cols + c;
                float gx = dOut.getAtIndex(F32, dOff + o) * x.getAtIndex(F32, xOff + o);
                sw = Math.fma(gx, rrms.getAtIndex(F32, rOff + r), sw);
            }
            dW.setAtIndex(F32, c, sw);
        }
    }
}
