package dev.tiller.optim;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * One optimizer configuration for the shared behaviour tests: how to build it, a hyperparameter record to step
 * with, a changed record (for the hyperparameter-change test), and the record's maximize / no-decay / lr variants.
 * The learning rates are chosen for the convergence tests (quadratic, Rosenbrock).
 */
record OptimizerSpec<H extends Record>(
        String name, BiFunction<List<ParamRef>, Map<String, StatePrecision>, Optimizer<H>> make, H hyper,
        UnaryOperator<H> changed, UnaryOperator<H> maximized, UnaryOperator<H> noDecay,
        BiFunction<H, Float, H> withLr, float rosenbrockLr) {
    @Override
    public String toString() {
        return name;
    }

    Optimizer<H> create(List<ParamRef> ps) {
        return make.apply(ps, Map.of());
    }

    static <H extends Record> List<ParamGroup<H>> one(List<ParamRef> ps) {
        return List.of(ParamGroup.of("all", ps));
    }

    static Stream<OptimizerSpec<?>> all() {
        return Stream.of(
                new OptimizerSpec<>("Adam", (ps, pr) -> new Adam(one(ps), pr, null, 3, Amsgrad.WITHOUT_MAX_STATE),
                        AdamHyper.defaults().withLr(0.05f), h -> h.withLr(0.01f).withBetas(0.8f, 0.99f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdamHyper::withLr, 0.02f),
                new OptimizerSpec<>("Adam(amsgrad, L2)",
                        (ps, pr) -> new Adam(one(ps), pr, null, 3, Amsgrad.WITH_MAX_STATE),
                        AdamHyper.defaults().withLr(0.05f).withAmsgrad(true).withWeightDecay(0.01f),
                        h -> h.withWeightDecay(0.1f), h -> h.withMaximize(true), h -> h.withWeightDecay(0f),
                        AdamHyper::withLr, 0.02f),
                new OptimizerSpec<>("Adam(decoupled)",
                        (ps, pr) -> new Adam(one(ps), pr, null, 3, Amsgrad.WITHOUT_MAX_STATE),
                        AdamHyper.defaults().withLr(0.05f).withDecoupledWeightDecay(true).withWeightDecay(0.01f),
                        h -> h.withEps(1e-3f), h -> h.withMaximize(true), h -> h.withWeightDecay(0f),
                        AdamHyper::withLr, 0.02f),
                new OptimizerSpec<>("AdamW", (ps, pr) -> new AdamW(one(ps), pr, null, 3, Amsgrad.WITHOUT_MAX_STATE),
                        AdamWHyper.defaults().withLr(0.05f), h -> h.withWeightDecay(0.2f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdamWHyper::withLr, 0.02f),
                new OptimizerSpec<>("AdamW(amsgrad)",
                        (ps, pr) -> new AdamW(one(ps), pr, null, 3, Amsgrad.WITH_MAX_STATE),
                        AdamWHyper.defaults().withLr(0.05f).withAmsgrad(true), h -> h.withBetas(0.5f, 0.9f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdamWHyper::withLr, 0.02f),
                new OptimizerSpec<>("NAdam", (ps, pr) -> new NAdam(one(ps), pr, null, 3),
                        NAdamHyper.defaults().withLr(0.05f), h -> h.withMomentumDecay(0.01f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), NAdamHyper::withLr, 0.02f),
                new OptimizerSpec<>("NAdam(decoupled)", (ps, pr) -> new NAdam(one(ps), pr, null, 3),
                        NAdamHyper.defaults().withLr(0.05f).withWeightDecay(0.01f).withDecoupledWeightDecay(true),
                        h -> h.withWeightDecay(0.1f), h -> h.withMaximize(true), h -> h.withWeightDecay(0f),
                        NAdamHyper::withLr, 0.02f),
                new OptimizerSpec<>("RAdam", (ps, pr) -> new RAdam(one(ps), pr, null, 3),
                        RAdamHyper.defaults().withLr(0.05f).withWeightDecay(0.001f), h -> h.withLr(0.1f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), RAdamHyper::withLr, 5e-3f),
                new OptimizerSpec<>("RAdam(decoupled)", (ps, pr) -> new RAdam(one(ps), pr, null, 3),
                        RAdamHyper.defaults().withLr(0.05f).withWeightDecay(0.01f).withDecoupledWeightDecay(true),
                        h -> h.withWeightDecay(0.1f), h -> h.withMaximize(true), h -> h.withWeightDecay(0f),
                        RAdamHyper::withLr, 5e-3f),
                new OptimizerSpec<>("Adamax", (ps, pr) -> new Adamax(one(ps), pr, null, 3),
                        AdamaxHyper.defaults().withLr(0.05f), h -> h.withWeightDecay(0.05f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdamaxHyper::withLr, 0.02f),
                new OptimizerSpec<>("Adagrad", (ps, pr) -> new Adagrad(one(ps), pr, null, 3, 0.1f),
                        AdagradHyper.defaults().withLr(0.5f).withLrDecay(1e-3f), h -> h.withLrDecay(0.1f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdagradHyper::withLr, 1f),
                new OptimizerSpec<>("RMSprop", (ps, pr) -> new RMSprop(one(ps), pr, null, 3),
                        RMSpropHyper.defaults().withLr(0.01f), h -> h.withMomentum(0.5f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), RMSpropHyper::withLr, 0.001f),
                new OptimizerSpec<>("RMSprop(centered, momentum)", (ps, pr) -> new RMSprop(one(ps), pr, null, 3),
                        RMSpropHyper.defaults().withLr(0.01f).withCentered(true).withMomentum(0.5f)
                                .withWeightDecay(0.001f),
                        h -> h.withAlpha(0.9f), h -> h.withMaximize(true), h -> h.withWeightDecay(0f),
                        RMSpropHyper::withLr, 0.001f),
                new OptimizerSpec<>("Adadelta", (ps, pr) -> new Adadelta(one(ps), pr, null, 3),
                        AdadeltaHyper.defaults().withLr(1f).withRho(0.9f), h -> h.withRho(0.95f),
                        h -> h.withMaximize(true), h -> h.withWeightDecay(0f), AdadeltaHyper::withLr, 1f),
                new OptimizerSpec<>("SGD(nesterov)", (ps, pr) -> new Sgd(one(ps), pr, null, 3),
                        new SgdHyper(0.05f, 0.9f, 0f, 0.001f, true, false), h -> h.withMomentum(0.5f),
                        h -> new SgdHyper(h.lr(), h.momentum(), h.dampening(), h.weightDecay(), h.nesterov(), true),
                        h -> h.withWeightDecay(0f), SgdHyper::withLr, 5e-4f));
    }
}
