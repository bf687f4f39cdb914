package dev.tiller.autograd;

import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Binary;
import dev.tiller.tensor.op.Reduce;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records ops and runs backward. The only place gradients are reduced over broadcast dims and summed; ops return
 * raw gradients.
 */
final class Engine {
    private Engine() {}

    /** Runs op forward on the inputs' values and records a node when grad mode is on and an input needs grad. */
    static Variable apply(Op op, Variable... inputs) {
        Tensor[] in = new Tensor[inputs.length];
        boolean needs = false;
        for (int i = 0; i < inputs.length; i++) {
            in[i] = inputs[i] == null ? null : inputs[i].value();
            needs |= inputs[i] != null && inputs[i].requiresGrad();
        }
        boolean record = needs && GradMode.isEnabled();
        Saved saved = new Saved();
        saved.opName(op.name());
        String site = Anomaly.isEnabled() ? Anomaly.callerSite() : null;
        long t0 = OpTimes.ENABLED ? System.nanoTime() : 0;
        Tensor out = op.forward(saved, in);
        if (OpTimes.ENABLED) {
            OpTimes.record("forward " + op.name(), System.nanoTime() - t0);
        }
        Autocast.round(op.name(), out, in);
        if (site != null) {
            Anomaly.check("forward", op.name(), out, in, site);
        }
        ActivationObserver observer = ActivationObserver.Watch.current();
        if (observer != null) {
            ActivationObserver.Watch.forward(observer, op, out, in, saved);
        }
        if (!record) {
            saved.release();
            return new Variable(out, null, false);
        }
        return new Variable(out, new Node(op, inputs.clone(), saved, site), true);
    }

    static void backward(Variable root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: " + root + " does not require a gradient: no input of the"
                    + " ops that made it requires one, or it was computed under GradMode.noGrad()");
        }
        if (!Shape.same(seed.shape(), root.value().shape())) {
            throw new ShapeMismatchException("backward", "a seed shaped like the output " + Shape.str(root.shape()),
                    Shape.str(seed.shape()), null);
        }
        List<Variable> order = topologicalOrder(root);
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        pending.put(root, seed);
        for (int k = order.size() - 1; k >= 0; k--) {
            Variable v = order.get(k);
            Tensor dOut = pending.remove(v);
            if (dOut == null) {
                continue;
            }
            Node node = v.node();
            if (node == null) {
                v.accumulate(dOut);
                continue;
            }
            node.saved.requireLive();
            boolean[] needsGrad = new boolean[node.inputs.length];
            for (int i = 0; i < needsGrad.length; i++) {
                needsGrad[i] = node.inputs[i] != null && node.inputs[i].requiresGrad();
            }
            long t0 = OpTimes.ENABLED ? System.nanoTime() : 0;
            Tensor[] grads = node.op.backward(node.saved, dOut, needsGrad);
            if (OpTimes.ENABLED) {
                long t1 = System.nanoTime();
                OpTimes.record("backward " + node.op.name(), t1 - t0);
                t0 = t1;
            }
            if (grads.length != node.inputs.length) {
                throw new IllegalStateException(node.op.name() + ": backward returned " + grads.length
                        + " gradients for " + node.inputs.length + " inputs");
            }
            for (int i = 0; i < grads.length; i++) {
                if (!needsGrad[i] || grads[i] == null) {
                    continue;
                }
                Variable input = node.inputs[i];
                Tensor g = grads[i];
                int[] want = input.value().shape();
                if (!Shape.same(g.shape(), want)) {
                    g = Reduce.sumTo(g, want);            // undo broadcasting here, once
                }
                if (node.site != null) {
                    Anomaly.check("backward", node.op.name(), g, new Tensor[] {dOut}, node.site);
                }
                Tensor prev = pending.get(input);
                if (prev == null) {
                    pending.put(input, g);
                } else {
                    pending.put(input, Binary.add(prev, g));
                }
            }
            if (OpTimes.ENABLED) {
                OpTimes.record("backward (engine)", System.nanoTime() - t0);
            }
            if (!retainGraph) {
                node.saved.release();
            }
        }
    }

    /** Variables reachable from root that require grad, inputs before the variables made from them. */
    private static List<Variable> topologicalOrder(Variable root) {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Variable> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();
        stack.push(root);
        next.push(0);
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Variable v = stack.peek();
            int i = next.pop();
            Node n = v.node();
            if (n != null && i < n.inputs.length) {
                next.push(i + 1);
                Variable in = n.inputs[i];
                if (in != null && in.requiresGrad() && visited.put(in, Boolean.TRUE) == null) {
                    stack.push(in);
                    next.push(0);
                }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }
}
