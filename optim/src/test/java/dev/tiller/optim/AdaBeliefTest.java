package dev.tiller.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * AdaBelief against the shared contract. First-step law: m = (1 - b1) g so m_hat = g (Nesterov: g (1 + b1 / (1 +
 * b1))), and s_hat = b1^2 g^2 + epsRoot / (1 - b2); p1 = p0 - lr m_hat / (sqrt(s_hat) + eps), about lr / b1 per
 * weight.
 */
class AdaBeliefTest extends OptaxOptimizerContract<AdaBeliefHyper> {
    private static final float[] BETAS = {0.5f, 0.9f, 0.95f, 0.99f, 0.999f};

    @Override
    Optimizer<AdaBeliefHyper> create(List<ParamGroup<AdaBeliefHyper>> groups,
                                             Map<String, StatePrecision> precisions) {
        return new AdaBelief(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "AdaBelief";
    }

    @Override
    AdaBeliefHyper typical() {
        return new AdaBeliefHyper(1e-2f, 0.9f, 0.999f, 1e-16f, 1e-16f, false);
    }

    @Override
    AdaBeliefHyper changed(AdaBeliefHyper h) {
        return new AdaBeliefHyper(h.lr(), h.b1(), h.b2(), h.eps(), h.epsRoot(), !h.nesterov());
    }

    @Override
    AdaBeliefHyper random(SplittableRandom r) {
        return new AdaBeliefHyper(uniform(r, 1e-4, 0.1), BETAS[r.nextInt(5)], BETAS[r.nextInt(5)],
                uniform(r, 0, 1e-6), uniform(r, 0, 1e-8), r.nextBoolean());
    }

    @Override
    void checkFirstStep(AdaBeliefHyper h, float[] p0, float[] g, float[] p1) {
        double b1 = h.b1();
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            double mHat = h.nesterov() ? g[i] * (1 + b1 / (1 + b1)) : g[i];
            double sHat = b1 * b1 * g[i] * g[i] + h.epsRoot() / (1 - (double) h.b2());
            d[i] = -h.lr() * mHat / (Math.sqrt(sHat) + h.eps());
        }
        LawCheck.close("AdaBelief " + h, p0, p1, d, 2 * h.lr() / b1, 1e-4);
    }

    @Override
    AdaBeliefHyper quadratic() {
        return new AdaBeliefHyper(5e-2f, 0.9f, 0.999f, 1e-16f, 1e-16f, false);
    }

    @Override
    int quadraticSteps() {
        return 1000;
    }

    @Override
    AdaBeliefHyper rosenbrock() {
        return new AdaBeliefHyper(1e-2f, 0.9f, 0.999f, 1e-16f, 1e-16f, false);
    }

    @Override
    int rosenbrockSteps() {
        return 4000;
    }

    @Override
    AdaBeliefHyper zeroDecay() {
        return typical();
    }

    @Override
    Map<String, Supplier<AdaBeliefHyper>> invalid() {
        Map<String, Supplier<AdaBeliefHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new AdaBeliefHyper(Float.NaN, 0.9f, 0.999f, 1e-16f, 1e-16f, false));
        m.put("eps = Infinity", () -> new AdaBeliefHyper(1e-3f, 0.9f, 0.999f, Float.POSITIVE_INFINITY, 0f, false));
        m.put("b1 = 1.0", () -> new AdaBeliefHyper(1e-3f, 1f, 0.999f, 1e-16f, 1e-16f, false));
        m.put("b2 = 2.0", () -> new AdaBeliefHyper(1e-3f, 0.9f, 2f, 1e-16f, 1e-16f, false));
        return m;
    }
}
