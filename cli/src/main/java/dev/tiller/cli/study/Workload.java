package dev.tiller.cli.study;

import java.util.List;

/**
 * One workload of the regime study: a model on its data with a fixed step budget, evaluated every evalEvery steps
 * on its validation loss (the study's metric, lower is better).
 *
 * @param name      the name the study's tables and flags use
 * @param model     gpt, convnet, resnet, gcn or mlp
 * @param data      the dataset ({@code ./tiller train --data})
 * @param steps     the step budget
 * @param batch     samples a step (null for the GCN, which trains on the whole graph)
 * @param width     width multiplier
 * @param depth     depth multiplier
 * @param evalEvery steps between evaluations (the time-to-target's resolution)
 * @param shiftAt   the step the data changes domain, null for data that does not shift
 */
public record Workload(String name, String model, String data, long steps, Integer batch, double width,
                       double depth, long evalEvery, Long shiftAt) {
    /** Faults and the learning-rate arms run on workloads that do not shift (a shift would confound them). */
    public boolean shifts() {
        return shiftAt != null;
    }

    /** The step faults are injected at: half the budget, so 200 steps of recovery fit in every full workload. */
    public long faultStep() {
        return steps / 2;
    }

    /**
     * The full study's workloads (issue protocol): the GPT on jdk-util with the README's recipe (1500 steps), the
     * convnet on Fashion-MNIST, the GCN on the stochastic-block graph, the ResNet on procedural shapes, and the two
     * shifting streams.
     */
    public static List<Workload> full() {
        return List.of(
                new Workload("gpt", "gpt", "jdk-util", 1500, 16, 1, 1, 125, null),
                new Workload("convnet", "convnet", "fashion-mnist", 1000, 64, 1, 1, 100, null),
                new Workload("gcn", "gcn", "synthetic", 300, null, 1, 1, 10, null),
                new Workload("resnet", "resnet", "shapes", 400, 64, 1, 1, 40, null),
                new Workload("jdk-shift", "gpt", "jdk-shift", 800, 16, 1, 1, 50, 400L),
                new Workload("fashion-mnist-shift", "convnet", "fashion-mnist-shift", 800, 64, 1, 1, 50, 400L));
    }

    /**
     * The same workloads at budgets a test can afford (--quick): smaller models and batches, a few dozen steps. The
     * numbers say only that the study runs end to end; the full study is the evidence.
     */
    public static List<Workload> quick() {
        return List.of(
                new Workload("gpt", "gpt", "jdk-util", 40, 4, 0.25, 0.5, 10, null),
                new Workload("convnet", "convnet", "fashion-mnist", 40, 16, 0.25, 1, 10, null),
                new Workload("gcn", "gcn", "synthetic", 60, null, 1, 1, 10, null),
                new Workload("resnet", "resnet", "shapes", 40, 16, 0.25, 1, 10, null),
                new Workload("jdk-shift", "gpt", "jdk-shift", 40, 4, 0.25, 0.5, 10, 20L),
                new Workload("fashion-mnist-shift", "convnet", "fashion-mnist-shift", 40, 16, 0.25, 1, 10, 20L));
    }
}
