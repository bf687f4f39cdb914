package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Conv;
import dev.tiller.tensor.op.Pool;

/** Convolution and pooling over (N, C, H, W) images; kernels live in tensor.op.Conv and tensor.op.Pool. */
final class ConvOps {
    private ConvOps() {}

    /** out = conv2d(x, w, bias) with PyTorch's geometry; inputs x: (N, Cin, H, W), w: (Cout, Cin/g, kH, kW), bias. */
    static final class Conv2d implements Op {
        private final int[] stride;
        private final int[] padding;
        private final int[] dilation;
        private final int groups;

        Conv2d(int[] stride, int[] padding, int[] dilation, int groups) {
            this.stride = stride.clone();
            this.padding = padding.clone();
            this.dilation = dilation.clone();
            this.groups = groups;
        }

        @Override
        public String name() {
            return "conv2d";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0], in[1]);
            return Conv.conv2d(in[0], in[1], in.length > 2 ? in[2] : null, stride, padding, dilation, groups);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor x = saved.tensor(0);
            Tensor w = saved.tensor(1);
            Tensor[] g = new Tensor[needsGrad.length];
            if (needsGrad[0]) {
                g[0] = Conv.conv2dBackwardInput(dOut, w, x.shape(), stride, padding, dilation, groups);
            }
            if (needsGrad[1]) {
                g[1] = Conv.conv2dBackwardWeight(dOut, x, w.shape(), stride, padding, dilation, groups);
            }
            if (g.length > 2 && needsGrad[2]) {
                g[2] = Conv.conv2dBackwardBias(dOut);
            }
            return g;
        }
    }

    /** Max pooling; the gradient goes to the first maximum of each window (PyTorch). */
    static final class MaxPool2d implements Op {
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final int[] dilation;
        private final boolean ceilMode;

        MaxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
            this.kernel = kernel.clone();
            this.stride = stride == null ? null : stride.clone();
            this.padding = padding.clone();
            this.dilation = dilation.clone();
            this.ceilMode = ceilMode;
        }

        @Override
        public String name() {
            return "max_pool2d";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Pool.MaxPool2dResult r = Pool.maxPool2d(in[0], kernel, stride, padding, dilation, ceilMode);
            saved.keep(r.indices(), in[0].shape());
            return r.output();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Pool.maxPool2dBackward(dOut, saved.tensor(0), (int[]) saved.get(1))};
        }
    }

    /** Average pooling with PyTorch's divisor rules. */
    static final class AvgPool2d implements Op {
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final boolean ceilMode;
        private final boolean countIncludePad;

        AvgPool2d(int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
            this.kernel = kernel.clone();
            this.stride = stride == null ? null : stride.clone();
            this.padding = padding.clone();
            this.ceilMode = ceilMode;
            this.countIncludePad = countIncludePad;
        }

        @Override
        public String name() {
            return "avg_pool2d";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0].shape());
            return Pool.avgPool2d(in[0], kernel, stride, padding, ceilMode, countIncludePad);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Pool.avgPool2dBackward(dOut, (int[]) saved.get(0), kernel, stride, padding, ceilMode,
                    countIncludePad)};
        }
    }

    /** Adaptive average pooling to (outH, outW). */
    static final class AdaptiveAvgPool2d implements Op {
        private final int outH;
        private final int outW;

        AdaptiveAvgPool2d(int outH, int outW) {
            this.outH = outH;
            this.outW = outW;
        }

        @Override
        public String name() {
            return "adaptive_avg_pool2d";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0].shape());
            return Pool.adaptiveAvgPool2d(in[0], outH, outW);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Pool.adaptiveAvgPool2dBackward(dOut, (int[]) saved.get(0))};
        }
    }
}
