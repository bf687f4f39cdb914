package dev.tiller.policy.task;

import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.Gcn;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Semi-supervised node classification with a GCN, full batch: the loss counts the training nodes only (the others
 * carry ignore_index); validation is on the remaining nodes.
 */
public final class GraphTask implements Task {
    private final GraphDataset graph;
    private final Gcn model;
    private final Tensor x;
    private final Tensor trainTargets;

    public GraphTask(GraphDataset graph, int hidden, int depth, long seed) {
        this.graph = graph;
        this.model = new Gcn(new Init(seed), graph.featureDim(), hidden, graph.classes(), depth);
        this.x = Tensor.of(graph.features(), graph.nodes(), graph.featureDim());
        long[] t = new long[graph.nodes()];
        for (int i = 0; i < t.length; i++) {
            t[i] = graph.trainMask()[i] ? graph.labels()[i] : -100;
        }
        this.trainTargets = Tensor.ofLongs(t, t.length);
    }

    @Override
    public String name() {
        return "gcn-" + graph.name();
    }

    @Override
    public Module model() {
        return model;
    }

    /** The full-batch loss: every micro-batch is the whole graph, whatever the step and cursor. */
    @Override
    public Variable trainLoss(long step, long cursor) {
        return F.crossEntropy(model.forward(graph.adjacency(), Variable.constant(x)), trainTargets, 0f, -100, "mean");
    }

    @Override
    public Map<String, Double> evaluate() {
        float[] z;
        try (GradMode.Scope s = GradMode.noGrad()) {
            z = model.forward(graph.adjacency(), Variable.constant(x)).value().toFloatArray();
        }
        int c = graph.classes();
        double loss = 0;
        int n = 0;
        int correct = 0;
        for (int i = 0; i < graph.nodes(); i++) {
            if (graph.trainMask()[i]) {
                continue;
            }
            int best = 0;
            double max = z[i * c];
            for (int j = 1; j < c; j++) {
                if (z[i * c + j] > z[i * c + best]) {
                    best = j;
                }
                max = Math.max(max, z[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += StrictMath.exp(z[i * c + j] - max);
            }
            loss += max + StrictMath.log(sum) - z[i * c + graph.labels()[i]];
            correct += best == graph.labels()[i] ? 1 : 0;
            n++;
        }
        return Map.of("val_loss", loss / Math.max(1, n), "val_accuracy", (double) correct / Math.max(1, n));
    }

    @Override
    public long itemsPerMicroBatch() {
        return graph.nodes();
    }

    @Override
    public String unit() {
        return "samples";
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", graph.name());
        m.put("nodes", graph.nodes());
        m.put("edges_nnz", graph.adjacency().nnz());
        m.put("classes", graph.classes());
        m.put("parameters", model.parameterCount());
        return m;
    }
}
