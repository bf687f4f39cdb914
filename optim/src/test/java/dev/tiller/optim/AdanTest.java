package dev.tiller.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Adan against the shared contract. First-step law (no previous gradient, so the difference term is 0):
 * m_hat = g, n_hat = g^2, p1 = p0 - lr (g / (sqrt(g^2 + epsRoot) + eps) + wd p0).
 */
class AdanTest extends OptaxOptimizerContract<AdanHyper> {
    private static final float[] BETAS = {0.5f, 0.9f, 0.92f, 0.98f, 0.99f};

    @Override
    Optimizer<AdanHyper> create(List<ParamGroup<AdanHyper>> groups,
                                        Map<String, StatePrecision> precisions) {
        return new Adan(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "Adan";
    }

    @Override
    AdanHyper typical() {
        return new AdanHyper(1e-2f, 0.98f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0.02f);
    }

    @Override
    AdanHyper changed(AdanHyper h) {
        return h.withWeightDecay(0.1f);
    }

    @Override
    AdanHyper random(SplittableRandom r) {
        return new AdanHyper(uniform(r, 1e-4, 0.1), BETAS[r.nextInt(5)], BETAS[r.nextInt(5)], BETAS[r.nextInt(5)],
                uniform(r, 0, 1e-6), uniform(r, 0, 1e-8), uniform(r, 0, 0.5));
    }

    @Override
    void checkFirstStep(AdanHyper h, float[] p0, float[] g, float[] p1) {
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            double u = g[i] / (Math.sqrt((double) g[i] * g[i] + h.epsRoot()) + h.eps());
            d[i] = -h.lr() * (u + h.weightDecay() * p0[i]);
        }
        LawCheck.close("Adan " + h, p0, p1, d, h.lr(), 1e-4);
    }

    @Override
    AdanHyper quadratic() {
        return new AdanHyper(5e-2f, 0.98f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0f);
    }

    @Override
    int quadraticSteps() {
        return 1000;
    }

    @Override
    AdanHyper rosenbrock() {
        return new AdanHyper(1e-2f, 0.98f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0f);
    }

    @Override
    int rosenbrockSteps() {
        return 4000;
    }

    @Override
    AdanHyper zeroDecay() {
        return typical().withWeightDecay(0f);
    }

    @Override
    Map<String, Supplier<AdanHyper>> invalid() {
        Map<String, Supplier<AdanHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new AdanHyper(Float.NaN, 0.98f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0f));
        m.put("eps = Infinity", () -> new AdanHyper(1e-3f, 0.98f, 0.92f, 0.99f, Float.POSITIVE_INFINITY, 0f, 0f));
        m.put("b3 = 1.0", () -> new AdanHyper(1e-3f, 0.98f, 0.92f, 1f, 1e-8f, 1e-8f, 0f));
        m.put("b1 = -0.5", () -> new AdanHyper(1e-3f, -0.5f, 0.92f, 0.99f, 1e-8f, 1e-8f, 0f));
        return m;
    }
}
