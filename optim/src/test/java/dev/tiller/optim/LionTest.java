package dev.tiller.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/** Lion against the shared optimizer contract; first-step law: p1 = p0 - lr (sign((1 - b1) g) + wd p0). */
class LionTest extends OptaxOptimizerContract<LionHyper> {
    @Override
    Optimizer<LionHyper> create(List<ParamGroup<LionHyper>> groups,
                                        Map<String, StatePrecision> precisions) {
        return new Lion(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "Lion";
    }

    @Override
    LionHyper typical() {
        return new LionHyper(1e-2f, 0.9f, 0.99f, 0.1f);
    }

    @Override
    LionHyper changed(LionHyper h) {
        return h.withLr(h.lr() * 0.5f);
    }

    @Override
    LionHyper random(SplittableRandom r) {
        return new LionHyper(uniform(r, 1e-4, 0.1), uniform(r, 0, 1), uniform(r, 0, 0.999), uniform(r, 0, 0.5));
    }

    @Override
    void checkFirstStep(LionHyper h, float[] p0, float[] g, float[] p1) {
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            double s = h.b1() == 1f ? 0 : Math.signum(g[i]);
            d[i] = -h.lr() * (s + h.weightDecay() * p0[i]);
        }
        LawCheck.close("Lion " + h, p0, p1, d, h.lr(), 1e-6);
    }

    @Override
    LionHyper quadratic() {
        return new LionHyper(3e-3f, 0.9f, 0.99f, 0f);
    }

    @Override
    int quadraticSteps() {
        return 2000;
    }

    @Override
    LionHyper rosenbrock() {
        return new LionHyper(1e-3f, 0.9f, 0.99f, 0f);
    }

    @Override
    int rosenbrockSteps() {
        return 6000;
    }

    @Override
    LionHyper zeroDecay() {
        return new LionHyper(1e-2f, 0.9f, 0.99f, 0f);
    }

    @Override
    Map<String, Supplier<LionHyper>> invalid() {
        Map<String, Supplier<LionHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new LionHyper(Float.NaN, 0.9f, 0.99f, 0f));
        m.put("b1 = 1.5", () -> new LionHyper(1e-3f, 1.5f, 0.99f, 0f));
        m.put("b2 = -0.1", () -> new LionHyper(1e-3f, 0.9f, -0.1f, 0f));
        m.put("weightDecay = Infinity", () -> new LionHyper(1e-3f, 0.9f, 0.99f, Float.POSITIVE_INFINITY));
        return m;
    }

    /**
     * Lion's step is the sign of an interpolation of momentum and gradient; with same-sign gradients every term has
     * the weight's gradient sign, so rounding the momentum to bf16 changes no step.
     */
    @Override
    boolean bf16ChangesWeights() {
        return false;
    }
}
