package dev.tiller.models.arch;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.GraphConv;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.CsrMatrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Graph convolutional network (Kipf and Welling 2017): H' = act(A_hat H W + b) with the normalised adjacency
 * A_hat = D^-1/2 (A + I) D^-1/2 (see {@link #normalisedAdjacency}); the last layer has no activation and gives
 * per-node class logits. x (N, features) -> (N, classes).
 */
public final class Gcn extends Module {
    private final List<GraphConv> layers = new ArrayList<>();

    public Gcn(Init init, int features, int hidden, int classes, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("Gcn: depth must be >= 1, got " + depth);
        }
        int prev = features;
        for (int i = 0; i < depth; i++) {
            int out = i == depth - 1 ? classes : hidden;
            layers.add(child("layers." + i, new GraphConv(init, prev, out)));
            prev = out;
        }
    }

    public Variable forward(CsrMatrix adjacency, Variable x) {
        Variable h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(adjacency, h);
            if (i < layers.size() - 1) {
                h = F.relu(h);
            }
        }
        return h;
    }

    /** D^-1/2 (A + I) D^-1/2 for an undirected edge list (each pair once or twice; duplicates merged). */
    public static CsrMatrix normalisedAdjacency(int nodes, int[] src, int[] dst) {
        if (src.length != dst.length) {
            throw new IllegalArgumentException("Gcn: " + src.length + " sources but " + dst.length + " targets");
        }
        Set<Long> edges = new TreeSet<>();
        for (int i = 0; i < nodes; i++) {
            edges.add((long) i * nodes + i);
        }
        for (int k = 0; k < src.length; k++) {
            if (src[k] < 0 || src[k] >= nodes || dst[k] < 0 || dst[k] >= nodes) {
                throw new IllegalArgumentException("Gcn: edge " + k + " (" + src[k] + ", " + dst[k]
                        + ") names a node outside [0, " + nodes + ")");
            }
            edges.add((long) src[k] * nodes + dst[k]);
            edges.add((long) dst[k] * nodes + src[k]);
        }
        double[] degree = new double[nodes];
        for (long e : edges) {
            degree[(int) (e / nodes)]++;
        }
        int n = edges.size();
        int[] r = new int[n];
        int[] c = new int[n];
        float[] v = new float[n];
        int k = 0;
        for (long e : edges) {
            r[k] = (int) (e / nodes);
            c[k] = (int) (e % nodes);
            v[k] = (float) (1.0 / Math.sqrt(degree[r[k]] * degree[c[k]]));
            k++;
        }
        return CsrMatrix.fromTriples(nodes, nodes, r, c, v);
    }
}
