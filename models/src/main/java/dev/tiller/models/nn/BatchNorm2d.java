package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Tensor;

/**
 * Batch norm over (N, H, W) per channel: batch statistics in training (running mean and unbiased variance updated
 * with momentum 0.1), running statistics in eval; affine weight 1 and bias 0, eps 1e-5; no weight decay.
 */
public final class BatchNorm2d extends Module {
    private final Variable weight;
    private final Variable bias;
    private final Tensor runningMean;   // (C), a buffer: part of the model's state, not a parameter
    private final Tensor runningVar;    // (C), a buffer

    public BatchNorm2d(Init init, int channels) {
        this.weight = param("weight", init.constant(1f, channels), false);
        this.bias = param("bias", init.constant(0f, channels), false);
        this.runningMean = buffer("running_mean", Tensor.zeros(channels));
        this.runningVar = buffer("running_var", Tensor.ones(channels));
    }

    public Variable forward(Variable x) {
        return F.batchNorm2d(x, weight, bias, runningMean, runningVar, isTraining(), 0.1f, 1e-5f);
    }

    /** The running mean (C), updated in place in training mode. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The running variance (C). */
    public Tensor runningVar() {
        return runningVar;
    }
}
