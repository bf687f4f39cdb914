package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ConvGeometry;
import dev.tiller.tensor.kernel.ref.RefConv;

/** Test helpers: the direct reference convolution (RefConv) on tensors, plus absolute values and dot products. */
final class ConvReference {
    /** Unit roundoff of float32. */
    static final double U = 0x1p-24;

    private ConvReference() {}

    /** Direct forward convolution; bias may be null. */
    static Tensor conv2d(ConvGeometry g, Tensor x, Tensor w, Tensor b) {
        Tensor out = Tensor.zeros(DType.F32, g.n(), g.cout(), g.outH(), g.outW());
        Tensor xc = x.contiguous(), wc = w.contiguous();
        RefConv.conv2d(g, xc.segment(), xc.offset(), wc.segment(), wc.offset(), b == null ? null : b.segment(),
                b == null ? 0 : b.offset(), out.segment(), out.offset());
        return out;
    }

    static Tensor backwardInput(ConvGeometry g, Tensor dOut, Tensor w) {
        Tensor dX = Tensor.zeros(DType.F32, g.n(), g.cin(), g.h(), g.w());
        Tensor dc = dOut.contiguous(), wc = w.contiguous();
        RefConv.conv2dBackwardInput(g, dc.segment(), dc.offset(), wc.segment(), wc.offset(), dX.segment(),
                dX.offset());
        return dX;
    }

    static Tensor backwardWeight(ConvGeometry g, Tensor dOut, Tensor x) {
        Tensor dW = Tensor.zeros(DType.F32, g.cout(), g.cinG(), g.kH(), g.kW());
        Tensor dc = dOut.contiguous(), xc = x.contiguous();
        RefConv.conv2dBackwardWeight(g, dc.segment(), dc.offset(), xc.segment(), xc.offset(), dW.segment(),
                dW.offset());
        return dW;
    }

    /** |t| elementwise, as a new contiguous tensor. */
    static Tensor abs(Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]);
        }
        return Tensor.of(v, t.shape());
    }

    /** sum_i a[i] b[i] in double. */
    static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) x[i] * y[i];
        }
        return s;
    }

    /**
     * Asserts |got - want| <= slack * U * scale elementwise (+ a denormal floor), where scale holds the sums of
     * absolute terms of each element; the message names what and the first failing index.
     */
    static void assertWithin(String what, Tensor got, Tensor want, Tensor scale, double slack) {
        float[] g = got.toFloatArray(), w = want.toFloatArray(), s = scale.toFloatArray();
        if (g.length != w.length) {
            throw new AssertionError(what + ": lengths " + g.length + " vs " + w.length);
        }
        for (int i = 0; i < g.length; i++) {
            double bound = slack * U * s[i] * (1 + 4 * U) + Float.MIN_NORMAL;
            double err = Math.abs((double) g[i] - w[i]);
            if (!(err <= bound)) {
                throw new AssertionError(what + ": element " + i + " got " + g[i] + ", reference " + w[i]
                        + ", |err| " + err + " > bound " + bound);
            }
        }
    }
}
