package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Norm;

/** Fused normalisations; each saves its statistics for backward (llm.c's "cache the mean and rstd"). */
final class NormOps {
    private NormOps() {}

    /** Layer norm over the last dim; inputs x (..., C), weight (C) or null, bias (C) or null. */
    static final class LayerNorm implements Op {
        private final float eps;

        LayerNorm(float eps) {
            this.eps = eps;
        }

        @Override
        public String name() {
            return "layer_norm";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Norm.LayerNormResult r = Norm.layerNorm(in[0], in[1], in[2], eps);
            saved.keep(in[0], in[1], r.mean(), r.rstd());
            return r.out();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Norm.LayerNormGrads g = Norm.layerNormBackward(dOut, saved.tensor(0), saved.tensor(2), saved.tensor(3),
                    saved.tensor(1));
            return new Tensor[] {g.dX(), g.dW(), g.dB()};
        }
    }

    /** RMS norm over the last dim: x * rsqrt(mean(x^2) + eps) * weight; inputs x, weight or null. */
    static final class RmsNorm implements Op {
        private final float eps;

        RmsNorm(float eps) {
            this.eps = eps;
        }

        @Override
        public String name() {
            return "rms_norm";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Norm.RmsNormResult r = Norm.rmsNorm(in[0], in[1], eps);
            saved.keep(in[0], in[1], r.rrms());
            return r.out();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Norm.RmsNormGrads g = Norm.rmsNormBackward(dOut, saved.tensor(0), saved.tensor(2), saved.tensor(1));
            return new Tensor[] {g.dX(), g.dW()};
        }
    }

    /**
     * Batch norm over (N, H, W) per channel in training mode; running statistics (not differentiated) are updated in
     * place when given. Inputs: x (N, C, H, W), weight (C) or null, bias (C) or null.
     */
    static final class BatchNorm2d implements Op {
        private final Tensor runningMean;
        private final Tensor runningVar;
        private final float momentum;
        private final float eps;

        BatchNorm2d(Tensor runningMean, Tensor runningVar, float momentum, float eps) {
            this.runningMean = runningMean;
            this.runningVar = runningVar;
            this.momentum = momentum;
            this.eps = eps;
        }

        @Override
        public String name() {
            return "batch_norm";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Norm.BatchNormResult r = Norm.batchNorm2d(in[0], in[1], in[2], runningMean, runningVar, momentum, eps);
            saved.keep(in[0], in[1], r.mean(), r.invstd());
            return r.out();
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Norm.BatchNormGrads g = Norm.batchNorm2dBackward(dOut, saved.tensor(0), saved.tensor(2), saved.tensor(3),
                    saved.tensor(1));
            return new Tensor[] {g.dX(), g.dW(), g.dB()};
        }
    }
}
