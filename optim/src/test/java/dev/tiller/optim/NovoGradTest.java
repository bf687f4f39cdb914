package dev.tiller.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * NovoGrad against the shared contract. First-step law (the layer-wise moment is the tensor's ||g||^2):
 * p1 = p0 - lr (g / (sqrt(||g||^2 + epsRoot) + eps) + wd p0), so the gradient part of the step has norm at most lr.
 */
class NovoGradTest extends OptaxOptimizerContract<NovoGradHyper> {
    @Override
    Optimizer<NovoGradHyper> create(List<ParamGroup<NovoGradHyper>> groups,
                                            Map<String, StatePrecision> precisions) {
        return new NovoGrad(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "NovoGrad";
    }

    @Override
    NovoGradHyper typical() {
        return new NovoGradHyper(1e-2f, 0.9f, 0.25f, 1e-6f, 0f, 0.01f);
    }

    @Override
    NovoGradHyper changed(NovoGradHyper h) {
        return h.withLr(h.lr() * 2f);
    }

    @Override
    NovoGradHyper random(SplittableRandom r) {
        return new NovoGradHyper(uniform(r, 1e-4, 0.1), uniform(r, 0, 0.99), uniform(r, 0, 0.99), uniform(r, 0, 1e-4),
                uniform(r, 0, 1e-6), uniform(r, 0, 0.5));
    }

    @Override
    void checkFirstStep(NovoGradHyper h, float[] p0, float[] g, float[] p1) {
        double gn = norm(g);
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            d[i] = -h.lr() * (g[i] / (Math.sqrt(gn * gn + h.epsRoot()) + h.eps()) + h.weightDecay() * p0[i]);
        }
        LawCheck.close("NovoGrad " + h, p0, p1, d, h.lr(), 1e-5);
    }

    @Override
    NovoGradHyper quadratic() {
        return new NovoGradHyper(5e-2f, 0.9f, 0.25f, 1e-6f, 0f, 0f);
    }

    @Override
    int quadraticSteps() {
        return 1500;
    }

    @Override
    NovoGradHyper rosenbrock() {
        return new NovoGradHyper(1e-3f, 0.9f, 0.25f, 1e-6f, 0f, 0f);
    }

    @Override
    int rosenbrockSteps() {
        return 1500;
    }

    @Override
    NovoGradHyper zeroDecay() {
        return typical().withWeightDecay(0f);
    }

    @Override
    Map<String, Supplier<NovoGradHyper>> invalid() {
        Map<String, Supplier<NovoGradHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new NovoGradHyper(Float.NaN, 0.9f, 0.25f, 1e-6f, 0f, 0f));
        m.put("eps = Infinity", () -> new NovoGradHyper(1e-3f, 0.9f, 0.25f, Float.POSITIVE_INFINITY, 0f, 0f));
        m.put("b2 = 1.0", () -> new NovoGradHyper(1e-3f, 0.9f, 1f, 1e-6f, 0f, 0f));
        return m;
    }
}
