package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Schedule-Free AdamW against the shared contract. First-step law: without warm-up the averaging weight is
 * c = 1, so y1 = x1 = z1 = y0 - lr (g / (|g| + eps) + wd y0); with warm-up the base step uses s(0) = 0 and y stays.
 */
class ScheduleFreeAdamWTest extends OptaxOptimizerContract<ScheduleFreeAdamWHyper> {
    private static final float[] BETAS = {0.5f, 0.9f, 0.95f, 0.99f, 0.999f};

    @Override
    Optimizer<ScheduleFreeAdamWHyper> create(List<ParamGroup<ScheduleFreeAdamWHyper>> groups,
                                                     Map<String, StatePrecision> precisions) {
        return new ScheduleFreeAdamW(groups, precisions, null, 0);
    }

    @Override
    String name() {
        return "ScheduleFreeAdamW";
    }

    @Override
    ScheduleFreeAdamWHyper typical() {
        return new ScheduleFreeAdamWHyper(1e-2f, 3, 0.9f, 0.999f, 1e-8f, 1e-3f, 2f);
    }

    @Override
    ScheduleFreeAdamWHyper changed(ScheduleFreeAdamWHyper h) {
        return h.withLr(h.lr() * 3f);
    }

    @Override
    ScheduleFreeAdamWHyper random(SplittableRandom r) {
        return new ScheduleFreeAdamWHyper(uniform(r, 1e-4, 0.1), r.nextBoolean() ? 0 : 1 + r.nextInt(10),
                BETAS[r.nextInt(5)], BETAS[r.nextInt(5)], uniform(r, 0, 1e-6), uniform(r, 0, 0.1), uniform(r, 0, 3));
    }

    @Override
    void checkFirstStep(ScheduleFreeAdamWHyper h, float[] p0, float[] g, float[] p1) {
        double[] d = new double[p0.length];
        double lr = h.warmupSteps() == 0 ? h.lr() : 0;
        for (int i = 0; i < p0.length; i++) {
            d[i] = -lr * (g[i] / (Math.abs(g[i]) + h.eps()) + h.weightDecay() * p0[i]);
        }
        // y is rebuilt from x and z: a few ulp of |y| / b1 on top of the step's own rounding
        double yScale = 0;
        for (float v : p0) {
            yScale = Math.max(yScale, Math.abs(v));
        }
        LawCheck.close("ScheduleFreeAdamW " + h, p0, p1, d, Math.max(h.lr(), 1e-3 * yScale / h.b1()), 1e-3);
    }

    @Override
    ScheduleFreeAdamWHyper quadratic() {
        return new ScheduleFreeAdamWHyper(5e-2f, 10, 0.9f, 0.999f, 1e-8f, 0f, 2f);
    }

    @Override
    int quadraticSteps() {
        return 1500;
    }

    @Override
    ScheduleFreeAdamWHyper rosenbrock() {
        return new ScheduleFreeAdamWHyper(5e-2f, 10, 0.95f, 0.999f, 1e-8f, 0f, 2f);
    }

    @Override
    int rosenbrockSteps() {
        return 6000;
    }

    @Override
    ScheduleFreeAdamWHyper zeroDecay() {
        return typical().withWeightDecay(0f);
    }

    @Override
    Map<String, Supplier<ScheduleFreeAdamWHyper>> invalid() {
        Map<String, Supplier<ScheduleFreeAdamWHyper>> m = new LinkedHashMap<>();
        m.put("lr = NaN", () -> new ScheduleFreeAdamWHyper(Float.NaN, 0, 0.9f, 0.999f, 1e-8f, 0f, 2f));
        m.put("eps = Infinity",
                () -> new ScheduleFreeAdamWHyper(1e-3f, 0, 0.9f, 0.999f, Float.POSITIVE_INFINITY, 0f, 2f));
        m.put("b1 = 0.0", () -> new ScheduleFreeAdamWHyper(1e-3f, 0, 0f, 0.999f, 1e-8f, 0f, 2f));
        m.put("b2 = 1.0", () -> new ScheduleFreeAdamWHyper(1e-3f, 0, 0.9f, 1f, 1e-8f, 0f, 2f));
        m.put("warmupSteps = -1", () -> new ScheduleFreeAdamWHyper(1e-3f, -1, 0.9f, 0.999f, 1e-8f, 0f, 2f));
        return m;
    }

    @Test
    void evalParamsRecoverTheAveragedSequenceX() {
        // With lr constant (no warm-up, power 0) every weight is 1, so x_t is the plain mean of z_1..z_t; check it
        // against z read from the state after each step.
        ParamRef p = param("p", SEED, 5);
        ScheduleFreeAdamW o = new ScheduleFreeAdamW(List.of(p));
        ScheduleFreeAdamWHyper h = new ScheduleFreeAdamWHyper(0.1f, 0, 0.9f, 0.999f, 1e-8f, 0f, 0f);
        double[] sum = new double[5];
        Tensor x = Tensor.zeros(5);
        for (int t = 1; t <= 4; t++) {
            p.grad().copyFrom(Tensor.normal(SEED + t, 3, 0f, 1f, 5));
            o.step(h);
            float[] z = o.state().get("z/p").toFloatArray();
            float[] mean = new float[5];
            for (int i = 0; i < 5; i++) {
                sum[i] += z[i];
                mean[i] = (float) (sum[i] / t);
            }
            o.evalParams(p, h.b1(), x);
            assertArrayEquals(mean, x.toFloatArray(), 1e-5f, "x after step " + t);
        }
    }

    /** z is the averaging iterate, a copy of the weights' scale: it stays float32 in the bf16 bound test. */
    @Override
    Set<String> bf16ExemptKinds() {
        return Set.of("z");
    }
}
