package dev.tiller.autograd;

/** A recorded application of an op: what made a non-leaf Variable. */
final class Node {
    final Op op;
    final Variable[] inputs;
    final Saved saved;
    final String site;          // caller's source line, recorded only in anomaly mode

    Node(Op op, Variable[] inputs, Saved saved, String site) {
        this.op = op;
        this.inputs = inputs;
        this.saved = saved;
        this.site = site;
    }
}
