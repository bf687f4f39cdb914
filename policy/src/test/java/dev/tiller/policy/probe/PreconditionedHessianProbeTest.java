package dev.tiller.policy.probe;

import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Sgd;
import dev.tiller.optim.SgdHyper;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.SymmetricEigen;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under AdamW the curvature probe measures the preconditioned sharpness lambda_max(P^-1 H), P = (1 - beta1^t)
 * (sqrt(v / (1 - beta2^t)) + eps): on the quadratic of {@link HessianProbeTest} (H = A) with a hand-set second moment
 * v, it matches the top eigenvalue of P^(-1/2) A P^(-1/2) computed directly by a dense eigensolver, leaves weights,
 * gradients and optimizer state bitwise as they were, and says so with hessian_preconditioned = 1. Under SGD it stays
 * lambda_max(A) with hessian_preconditioned = 0.
 */
class PreconditionedHessianProbeTest {
    private static final long T = 7;                 // optimizer steps "already applied"
    private static final AdamWHyper HYPER = AdamWHyper.defaults().withBetas(0.9f, 0.99f).withEps(1e-3f);

    /** A second moment spread over four decades, so P^-1 A differs from A in shape, not only in scale. */
    private static float[] secondMoment() {
        float[] v = new float[(int) Math.round(Math.sqrt(HessianProbeTest.matrix().length))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.pow(10, -4 + 4.0 * ((i * 3) % 8) / 7);
        }
        return v;
    }

    /** lambda_max of D A D, D = P^(-1/2), by the dense symmetric eigensolver (the largest-magnitude eigenvalue). */
    private static double direct(float[] v) {
        float[] a = HessianProbeTest.matrix();
        int n = v.length;
        double bc1 = 1 - Math.pow(0.9, T);
        double bc2 = 1 - Math.pow(0.99, T);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = 1 / Math.sqrt(bc1 * (Math.sqrt(v[i] / bc2) + 1e-3));
        }
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i * n + j] = d[i] * a[i * n + j] * d[j];
            }
        }
        double top = 0;
        for (double x : SymmetricEigen.decompose(m, n).values()) {
            top = Math.abs(x) > Math.abs(top) ? x : top;
        }
        return top;
    }

    /** AdamW over the task's weights with second moment v, first moment zero, after T steps. */
    private static AdamW adamW(List<ParamRef> params, float[] v, StatePrecision precision) {
        AdamW opt = new AdamW(List.of(ParamGroup.of("default", params)), Map.of("exp_avg_sq", precision), null, 3,
                Amsgrad.WITHOUT_MAX_STATE);
        Map<String, Tensor> saved = new HashMap<>();
        Tensor exact = Tensor.of(v, v.length, 1);
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            Tensor t = e.getValue();
            saved.put(e.getKey(), e.getKey().equals("exp_avg_sq/w") ? exact.to(t.dtype())
                    : Tensor.zeros(t.dtype(), t.shape()));
        }
        opt.loadState(saved, T);
        return opt;
    }

    private static Signals probe(HessianProbeTest.Quadratic task, List<ParamRef> params,
                                 Optimizer<?> opt, Record hyper) {
        Probes probes = Probes.of(new ProbePlan(0, 0, 0, 1, 200, 0, 0, 0));
        probes.beforeStep(0, task, params);
        params.forEach(ParamRef::clearGrad);
        task.trainLoss(0, 0).backward();
        probes.afterMicroBatch(0, 0, task, params);
        float[] w = params.get(0).value().toFloatArray();
        float[] g = params.get(0).grad().toFloatArray();
        Map<String, float[]> state = new HashMap<>();
        opt.state().forEach((k, t) -> state.put(k, t.toFloatArray()));
        probes.afterBackward(0, task, params, opt, hyper);
        assertBits(w, params.get(0).value().toFloatArray(), "weights");
        assertBits(g, params.get(0).grad().toFloatArray(), "gradient");
        opt.state().forEach((k, t) -> assertBits(state.get(k), t.toFloatArray(), "state " + k));
        return probes.collect(0);
    }

    private static void assertBits(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + " " + i);
        }
    }

    @Test
    void adamWMeasuresTheTopEigenvalueOfThePreconditionedHessian() {
        HessianProbeTest.Quadratic task = new HessianProbeTest.Quadratic();
        List<ParamRef> params = Trainer.paramRefs(task);
        float[] v = secondMoment();
        double expected = direct(v);
        assertTrue(Math.abs(expected - 4) > 1, "the preconditioner must change the answer: " + expected);
        Signals s = probe(task, params, adamW(params, v, StatePrecision.F32), HYPER);
        assertEquals(1.0, s.get(Signals.HESSIAN_PRECONDITIONED), s.toString());
        assertEquals(expected, s.get(Signals.HESSIAN_TOP), 1e-3 * Math.abs(expected), s.toString());
    }

    @Test
    void bfloat16SecondMomentIsReadAsItsFloatValue() {
        float[] v = secondMoment();
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & 0xFFFF0000);   // exactly representable
        }
        HessianProbeTest.Quadratic task = new HessianProbeTest.Quadratic();
        List<ParamRef> params = Trainer.paramRefs(task);
        AdamW opt = adamW(params, v, StatePrecision.BF16);
        assertEquals(DType.BF16, opt.state().get("exp_avg_sq/w").dtype());
        Signals s = probe(task, params, opt, HYPER);
        assertEquals(direct(v), s.get(Signals.HESSIAN_TOP), 1e-3 * Math.abs(direct(v)), s.toString());
    }

    @Test
    void eightBitStateDecodesAsTheOptimizerDoes() {
        int n = StatePrecision.Q8_BLOCK + 3;            // two blocks
        float[] codes = new float[n];
        for (int i = 0; i < n; i++) {
            codes[i] = (i * 37) % 255 - 127;
        }
        Tensor stored = Tensor.of(codes, n).to(DType.I8);
        Tensor scales = Tensor.of(new float[] {2.5f, 0.01f}, 2);
        float[] x = AdamPreconditioner.decode(stored, scales);
        for (int i = 0; i < n; i++) {
            float scale = i < StatePrecision.Q8_BLOCK ? 2.5f : 0.01f;
            assertEquals(codes[i] * (scale / 127f), x[i], 0f, "element " + i);
        }
    }

    @Test
    void noPreconditionerBeforeTheFirstUpdate() {
        HessianProbeTest.Quadratic task = new HessianProbeTest.Quadratic();
        List<ParamRef> params = Trainer.paramRefs(task);
        Signals s = probe(task, params, new AdamW(params), HYPER);
        assertFalse(s.has(Signals.HESSIAN_TOP), s.toString());
    }

    @Test
    void sgdMeasuresThePlainHessian() {
        HessianProbeTest.Quadratic task = new HessianProbeTest.Quadratic();
        List<ParamRef> params = Trainer.paramRefs(task);
        Signals s = probe(task, params, new Sgd(params), SgdHyper.of(0.1f));
        assertEquals(0.0, s.get(Signals.HESSIAN_PRECONDITIONED), s.toString());
        assertEquals(4.0, s.get(Signals.HESSIAN_TOP), 4e-3, s.toString());
    }

    @Test
    void preconditionerMatchesAdamsUpdateDenominator() {
        float[] v = {0f, 1e-6f, 0.25f, 4f};
        float[] d = new float[v.length];
        AdamPreconditioner.fill(d, v, 0.9, 0.999, 1e-8, 3);
        double bc1 = 1 - Math.pow(0.9, 3);
        double bc2 = 1 - Math.pow(0.999, 3);
        for (int i = 0; i < v.length; i++) {
            double expected = Math.pow(bc1 * (Math.sqrt(v[i] / bc2) + 1e-8), -0.5);
            assertEquals(expected, d[i], 1e-6 * expected, "element " + i);
        }
    }
}
