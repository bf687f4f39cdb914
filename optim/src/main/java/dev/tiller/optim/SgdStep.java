package dev.tiller.optim;

/**
 * The scalars of one torch.optim.SGD momentum step (RefOptim.sgdMomentum): the gradient's sign (-1 when
 * maximizing), weight decay, lr, momentum, 1 - dampening, whether the step is Nesterov's, and whether it is the
 * buffer's first step (PyTorch's "buffer is None": the buffer starts as the gradient).
 */
record SgdStep(float gradSign, float weightDecay, float lr, float momentum, float oneMinusDampening,
               boolean nesterov, boolean firstStep) {
    /** The step t (from 1) of h. */
    static SgdStep of(SgdHyper h, long t) {
        return new SgdStep(Scalars.gradSign(h.maximize()), h.weightDecay(), h.lr(), h.momentum(),
                Scalars.oneMinus(h.dampening()), h.nesterov(), t == 1);
    }
}
