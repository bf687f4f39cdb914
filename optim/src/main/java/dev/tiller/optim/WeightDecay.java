package dev.tiller.optim;

/** How a PyTorch-family optimizer applies weight decay lambda. */
enum WeightDecay {
    /** lambda p is added to the gradient (torch.optim.Adam's weight_decay). */
    L2,
    /** p is multiplied by 1 - lr lambda before the update (torch.optim.AdamW; decoupled_weight_decay=True). */
    DECOUPLED;

    /** DECOUPLED when the record's decoupledWeightDecay flag is set, else L2. */
    static WeightDecay decoupledIf(boolean decoupledWeightDecay) {
        return decoupledWeightDecay ? DECOUPLED : L2;
    }
}
