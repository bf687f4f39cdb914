package dev.tiller.models.data;

import dev.tiller.models.arch.Gcn;
import dev.tiller.tensor.CsrMatrix;
import dev.tiller.tensor.Philox;

import java.util.ArrayList;
import java.util.List;

/**
 * A node-classification graph: normalised adjacency, node features (N, F), labels (N) and train/validation masks.
 * {@link #stochasticBlockModel} makes one from nothing: k communities, edge probability pIn inside a community and
 * pOut across, features = a noisy one-hot of the community in the first k dims plus noise dims, a fixed share of
 * nodes labelled for training.
 */
public record GraphDataset(String name, CsrMatrix adjacency, float[] features, int featureDim, int[] labels,
                           boolean[] trainMask, int classes) {
    public int nodes() {
        return labels.length;
    }

    public static GraphDataset stochasticBlockModel(long seed, int nodes, int communities, double pIn, double pOut,
                                                    int featureDim, double trainShare) {
        if (communities < 2 || featureDim < communities || nodes < communities) {
            throw new IllegalArgumentException("stochasticBlockModel: need communities >= 2, featureDim >= communities"
                    + " and nodes >= communities, got " + communities + ", " + featureDim + ", " + nodes);
        }
        int[] label = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            label[i] = i % communities;
        }
        List<int[]> edges = new ArrayList<>();
        long pair = 0;
        for (int i = 0; i < nodes; i++) {
            for (int j = i + 1; j < nodes; j++, pair++) {
                double p = label[i] == label[j] ? pIn : pOut;
                if (Philox.uniform(seed, 0x5B0, pair) < p) {
                    edges.add(new int[] {i, j});
                }
            }
        }
        int[] src = new int[edges.size()];
        int[] dst = new int[edges.size()];
        for (int k = 0; k < src.length; k++) {
            src[k] = edges.get(k)[0];
            dst[k] = edges.get(k)[1];
        }
        float[] x = new float[nodes * featureDim];
        for (int i = 0; i < nodes; i++) {
            for (int f = 0; f < featureDim; f++) {
                float signal = f == label[i] ? 0.5f : 0f;     // weak: the graph must help
                x[i * featureDim + f] = signal + Philox.normal(seed, 0x5B1, (long) i * featureDim + f);
            }
        }
        boolean[] train = new boolean[nodes];
        for (int i = 0; i < nodes; i++) {
            train[i] = Philox.uniform(seed, 0x5B2, i) < trainShare;
        }
        return new GraphDataset("sbm", Gcn.normalisedAdjacency(nodes, src, dst), x, featureDim, label, train,
                communities);
    }
}
