package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * LAMB against the shared contract. First-step law: m_hat = g and v_hat = g^2, so r = g / (|g| + eps) + wd p0 and
 * the trust ratio makes the step exactly lr ||p0|| long: p1 = p0 - lr ||p0|| / ||r|| r.
 */
class LambTest extends OptaxOptimizerContract<LambHyper> {
    private static final float[] BETAS = {0.5f, 0.9f, 0.95f, 0.99f, 0.999f};

    @Override
    Optimizer<LambHyper> create(List<ParamGroup<LambHyper>> groups,
                                        Map<String, StatePrecision> precisions) {
        return new Lamb(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "LAMB";
    }

    @Override
    LambHyper typical() {
        return new LambHyper(1e-2f, 0.9f, 0.999f, 1e-6f, 0f, 0.01f);
    }

    @Override
    LambHyper changed(LambHyper h) {
        return h.withLr(h.lr() * 0.5f);
    }

    @Override
    LambHyper random(SplittableRandom r) {
        return new LambHyper(uniform(r, 1e-4, 0.1), BETAS[r.nextInt(5)], BETAS[r.nextInt(5)], uniform(r, 0, 1e-3),
                0f, uniform(r, 0, 0.5));
    }

    @Override
    void checkFirstStep(LambHyper h, float[] p0, float[] g, float[] p1) {
        double[] rr = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            rr[i] = g[i] / (Math.abs(g[i]) + h.eps()) + h.weightDecay() * p0[i];
        }
        double rn = 0;
        for (double v : rr) {
            rn += v * v;
        }
        double scale = h.lr() * norm(p0) / Math.sqrt(rn);
        double[] d = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            d[i] = -scale * rr[i];
        }
        LawCheck.close("LAMB " + h, p0, p1, d, scale, 1e-4);
    }

    @Override
    LambHyper quadratic() {
        return new LambHyper(2e-2f, 0.9f, 0.999f, 1e-6f, 0f, 0f);
    }

    @Override
    int quadraticSteps() {
        return 1500;
    }

    @Override
    LambHyper rosenbrock() {
        return new LambHyper(5e-4f, 0.9f, 0.999f, 1e-6f, 0f, 0f);
    }

    @Override
    int rosenbrockSteps() {
        return 2000;
    }

    /**
     * The trust ratio makes every step lr ||p|| long, so from (-1.2, 1) the iterate shrinks towards the origin and
     * crawls there (Optax does the same); start on the other side, at (1.5, 1.5), as PyTorch's Rosenbrock test does.
     */
    @Override
    float[] rosenbrockStart() {
        return new float[] {1.5f, 1.5f};
    }

    @Override
    LambHyper zeroDecay() {
        return new LambHyper(1e-2f, 0.9f, 0.999f, 1e-6f, 0f, 0f);
    }

    @Override
    Map<String, Supplier<LambHyper>> invalid() {
        Map<String, Supplier<LambHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new LambHyper(Float.NaN, 0.9f, 0.999f, 1e-6f, 0f, 0f));
        m.put("eps = Infinity", () -> new LambHyper(1e-3f, 0.9f, 0.999f, Float.POSITIVE_INFINITY, 0f, 0f));
        m.put("b1 = 1.0", () -> new LambHyper(1e-3f, 1f, 0.999f, 1e-6f, 0f, 0f));
        m.put("b2 = -0.5", () -> new LambHyper(1e-3f, 0.9f, -0.5f, 1e-6f, 0f, 0f));
        m.put("weightDecay = -1.0", () -> new LambHyper(1e-3f, 0.9f, 0.999f, 1e-6f, 0f, -1f));
        return m;
    }

    /**
     * All-zero weights (a zero-initialised layer) have ||p|| = 0, where the trust ratio falls back to 1 so the layer
     * is not frozen: the first step is exactly -lr r, with r computed from the first moments m = (1 - b1) g and
     * v = (1 - b2) g^2 in Optax's float32 operations.
     */
    @Test
    void allZeroWeightsTakeTheTrustRatioFallbackOfOne() {
        qt().withFixedSeed(SEED).withExamples(40)
                .forAll(integers().between(1, 200), longs().all())
                .checkAssert((n, seed) -> {
                    LambHyper h = random(new SplittableRandom(seed));
                    ParamRef p = new ParamRef("w", Tensor.zeros(n), Tensor.normal(seed, 2, 0f, 1f, n));
                    float[] g = p.grad().toFloatArray();
                    new Lamb(List.of(p)).step(h);
                    float[] p1 = p.value().toFloatArray();
                    float bc1 = OptaxMath.biasCorrection(h.b1(), 1);
                    float bc2 = OptaxMath.biasCorrection(h.b2(), 1);
                    for (int i = 0; i < n; i++) {
                        float m = Scalars.oneMinus(h.b1()) * g[i] + h.b1() * 0f;
                        float v = Scalars.oneMinus(h.b2()) * (g[i] * g[i]) + h.b2() * 0f;
                        float r = (m / bc1) / ((float) Math.sqrt(v / bc2 + h.epsRoot()) + h.eps())
                                + h.weightDecay() * 0f;
                        float expected = 0f + -h.lr() * (r * 1f);
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(p1[i]),
                                "n=" + n + " w[" + i + "]: " + p1[i] + " expected " + expected);
                    }
                });
    }
}
