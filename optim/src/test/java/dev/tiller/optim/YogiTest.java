package dev.tiller.optim;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Yogi against the shared contract. Both moments start at 1e-6 (Optax's initial_accumulator_value), so zero
 * gradients still move the weights and the zero-gradient test does not apply. First-step law:
 * m = b1 1e-6 + (1 - b1) g, v = 1e-6 - (1 - b2) sign(1e-6 - g^2) g^2, p1 = p0 - lr (m / (1 - b1)) / (sqrt(v / (1 -
 * b2)) + eps).
 */
class YogiTest extends OptaxOptimizerContract<YogiHyper> {
    private static final float[] BETAS = {0.5f, 0.9f, 0.95f, 0.99f, 0.999f};

    @Override
    Optimizer<YogiHyper> create(List<ParamGroup<YogiHyper>> groups,
                                        Map<String, StatePrecision> precisions) {
        return new Yogi(groups, precisions, null, 0, Yogi.INITIAL_ACCUMULATOR);
    }

    @Override
    String name() {
        return "Yogi";
    }

    @Override
    YogiHyper typical() {
        return new YogiHyper(1e-2f, 0.9f, 0.999f, 1e-3f, 0f);
    }

    @Override
    YogiHyper changed(YogiHyper h) {
        return h.withLr(h.lr() * 0.5f);
    }

    @Override
    YogiHyper random(SplittableRandom r) {
        return new YogiHyper(uniform(r, 1e-4, 0.1), BETAS[r.nextInt(5)], BETAS[r.nextInt(5)], uniform(r, 1e-6, 1e-2),
                0f);
    }

    @Override
    void checkFirstStep(YogiHyper h, float[] p0, float[] g, float[] p1) {
        double a = Yogi.INITIAL_ACCUMULATOR;
        double b1 = h.b1();
        double b2 = h.b2();
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            double g2 = (double) g[i] * g[i];
            double m = b1 * a + (1 - b1) * g[i];
            double v = a - (1 - b2) * Math.signum(a - g2) * g2;
            d[i] = -h.lr() * (m / (1 - b1)) / (Math.sqrt(v / (1 - b2)) + h.eps());
        }
        LawCheck.close("Yogi " + h, p0, p1, d, h.lr(), 1e-3);
    }

    @Override
    YogiHyper quadratic() {
        return new YogiHyper(5e-2f, 0.9f, 0.999f, 1e-3f, 0f);
    }

    @Override
    int quadraticSteps() {
        return 1000;
    }

    @Override
    YogiHyper rosenbrock() {
        return new YogiHyper(3e-2f, 0.9f, 0.999f, 1e-3f, 0f);
    }

    @Override
    int rosenbrockSteps() {
        return 3000;
    }

    @Override
    YogiHyper zeroDecay() {
        return null;
    }

    @Override
    Map<String, Supplier<YogiHyper>> invalid() {
        Map<String, Supplier<YogiHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new YogiHyper(Float.NaN, 0.9f, 0.999f, 1e-3f, 0f));
        m.put("eps = Infinity", () -> new YogiHyper(1e-3f, 0.9f, 0.999f, Float.POSITIVE_INFINITY, 0f));
        m.put("b1 = 1.0", () -> new YogiHyper(1e-3f, 1f, 0.999f, 1e-3f, 0f));
        m.put("b2 = -0.1", () -> new YogiHyper(1e-3f, 0.9f, -0.1f, 1e-3f, 0f));
        return m;
    }

    @Test
    void zeroGradientStillMovesByTheInitialAccumulator() {
        // g = 0: m = b1 a, v = a (sign(a - 0) g^2 = 0), so p1 = p0 - lr (b1 a / (1 - b1)) / (sqrt(a / (1 - b2)) + eps)
        ParamRef p = param("p", SEED, 6);
        float[] p0 = p.value().toFloatArray();
        YogiHyper h = typical();
        new Yogi(List.of(p)).step(h);
        double a = Yogi.INITIAL_ACCUMULATOR;
        double step = -h.lr() * (h.b1() * a / (1 - h.b1())) / (Math.sqrt(a / (1 - h.b2())) + h.eps());
        double[] d = new double[6];
        Arrays.fill(d, step);
        LawCheck.close("Yogi zero gradient", p0, p.value().toFloatArray(), d, Math.abs(step), 1e-3);
    }
}
