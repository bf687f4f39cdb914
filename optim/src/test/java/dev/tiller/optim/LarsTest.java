package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * LARS against the shared contract. First-step law (the trace starts at 0): r = g + wd p0,
 * u = -lr tc ||p0|| / (||r|| + eps) r, and the step is u, or (1 + momentum) u with Nesterov.
 */
class LarsTest extends OptaxOptimizerContract<LarsHyper> {
    @Override
    Optimizer<LarsHyper> create(List<ParamGroup<LarsHyper>> groups,
                                        Map<String, StatePrecision> precisions) {
        return new Lars(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "LARS";
    }

    @Override
    LarsHyper typical() {
        return new LarsHyper(0.5f, 1e-3f, 0.01f, 0f, 0.9f, false, true);
    }

    @Override
    LarsHyper changed(LarsHyper h) {
        return h.withMomentum(0.5f);
    }

    @Override
    LarsHyper random(SplittableRandom r) {
        return new LarsHyper(uniform(r, 1e-3, 2), uniform(r, 0, 0.1), uniform(r, 1e-4, 0.1), uniform(r, 0, 1e-3),
                uniform(r, 0, 0.99), r.nextBoolean(), true);
    }

    @Override
    void checkFirstStep(LarsHyper h, float[] p0, float[] g, float[] p1) {
        double[] rr = new double[p0.length];
        for (int i = 0; i < p0.length; i++) {
            rr[i] = g[i] + (double) h.weightDecay() * p0[i];
        }
        double rn = 0;
        for (double v : rr) {
            rn += v * v;
        }
        double scale = h.lr() * h.trustCoefficient() * norm(p0) / (Math.sqrt(rn) + h.eps())
                * (h.nesterov() ? 1 + h.momentum() : 1);
        double[] d = new double[p0.length];
        double max = 0;
        for (int i = 0; i < p0.length; i++) {
            d[i] = -scale * rr[i];
            max = Math.max(max, Math.abs(d[i]));
        }
        LawCheck.close("LARS " + h, p0, p1, d, max, 1e-5);
    }

    @Override
    LarsHyper quadratic() {
        return new LarsHyper(1f, 0f, 0.01f, 0f, 0.9f, false, true);
    }

    @Override
    int quadraticSteps() {
        return 2000;
    }

    @Override
    LarsHyper rosenbrock() {
        return new LarsHyper(0.1f, 0f, 0.01f, 0f, 0.9f, true, true);
    }

    @Override
    int rosenbrockSteps() {
        return 4500;
    }

    @Override
    LarsHyper zeroDecay() {
        return new LarsHyper(0.5f, 0f, 0.01f, 0f, 0.9f, false, true);
    }

    @Override
    Map<String, Supplier<LarsHyper>> invalid() {
        Map<String, Supplier<LarsHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new LarsHyper(Float.NaN, 0f, 1e-3f, 0f, 0.9f, false, true));
        m.put("eps = Infinity", () -> new LarsHyper(1f, 0f, 1e-3f, Float.POSITIVE_INFINITY, 0.9f, false, true));
        m.put("momentum = 1.5", () -> new LarsHyper(1f, 0f, 1e-3f, 0f, 1.5f, false, true));
        m.put("trustCoefficient = -0.001", () -> new LarsHyper(1f, 0f, -1e-3f, 0f, 0.9f, false, true));
        return m;
    }

    @Test
    void trustRatioOffIsMomentumSgdOnTheLrScaledGradient() {
        // Optax's trust_ratio_mask = False for a tensor: u = -lr (g + wd p); b = u + mu b; p += b
        ParamRef p = param("p", SEED, 7);
        ParamRef q = param("p", SEED, 7);
        LarsHyper h = new LarsHyper(0.1f, 0.01f, 1e-3f, 0f, 0.9f, false, false);
        Lars lars = new Lars(List.of(p));
        float[] b = new float[7];
        for (int t = 0; t < 3; t++) {
            Tensor g = Tensor.normal(SEED + t, 5, 0f, 1f, 7);
            p.grad().copyFrom(g);
            lars.step(h);
            float[] w = q.value().toFloatArray();
            float[] gs = g.toFloatArray();
            for (int i = 0; i < 7; i++) {
                float u = -h.lr() * (gs[i] + h.weightDecay() * w[i]);
                b[i] = u + h.momentum() * b[i];
                w[i] = w[i] + b[i];
            }
            q.value().copyFrom(Tensor.of(w, 7));
        }
        assertArrayEquals(q.value().toFloatArray(), p.value().toFloatArray(), 1e-6f);
    }

    /**
     * All-zero weights (a zero-initialised layer) have ||p|| = 0, where the trust ratio falls back to 1 so the layer
     * is not frozen: the first step equals, bit for bit, the step with the trust ratio switched off.
     */
    @Test
    void allZeroWeightsTakeTheTrustRatioFallbackOfOne() {
        qt().withFixedSeed(SEED).withExamples(40)
                .forAll(integers().between(1, 200), longs().all())
                .checkAssert((n, seed) -> {
                    LarsHyper h = random(new SplittableRandom(seed));
                    LarsHyper off = new LarsHyper(h.lr(), h.weightDecay(), h.trustCoefficient(), h.eps(),
                            h.momentum(), h.nesterov(), false);
                    ParamRef a = new ParamRef("w", Tensor.zeros(n), Tensor.normal(seed, 2, 0f, 1f, n));
                    ParamRef b = new ParamRef("w", Tensor.zeros(n), a.grad().copy());
                    new Lars(List.of(a)).step(h);
                    new Lars(List.of(b)).step(off);
                    float[] x = a.value().toFloatArray();
                    assertArrayEquals(b.value().toFloatArray(), x, "n=" + n);
                    assertTrue(norm(x) > 0, "the step moved nothing, so the comparison proves nothing");
                });
    }
}
