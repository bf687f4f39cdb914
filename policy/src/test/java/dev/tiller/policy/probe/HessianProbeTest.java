package dev.tiller.policy.probe;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The curvature probe on a quadratic whose Hessian is known: L(w) = 1/2 w^T A w with A = Q diag(d) Q^T, Q a
 * Householder reflection, so the top eigenvalue is the largest |d|. Power iteration on finite-difference products
 * finds it, and the weights and the step's gradients are bitwise as before.
 */
class HessianProbeTest {
    private static final float[] EIGEN = {4f, 1.5f, 1f, 0.5f, -0.2f, 0.1f, 0.05f, 0f};

    /** A = Q diag(EIGEN) Q^T with Q = I - 2 u u^T / |u|^2. */
    static float[] matrix() {
        int n = EIGEN.length;
        double[] u = new double[n];
        double uu = 0;
        for (int i = 0; i < n; i++) {
            u[i] = 1 + 0.3 * i;
            uu += u[i] * u[i];
        }
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                q[i][j] = (i == j ? 1 : 0) - 2 * u[i] * u[j] / uu;
            }
        }
        float[] a = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += q[i][k] * EIGEN[k] * q[j][k];
                }
                a[i * n + j] = (float) s;
            }
        }
        return a;
    }

    /** One parameter w (n, 1). */
    static final class Weights extends Module {
        final Variable w;

        Weights(float[] init) {
            w = param("w", Tensor.of(init, init.length, 1), false);
        }
    }

    /** The quadratic as a task: the same loss for training and for every probe batch. */
    static final class Quadratic implements Task {
        final Weights model;
        final Tensor a = Tensor.of(matrix(), EIGEN.length, EIGEN.length);

        Quadratic() {
            float[] w0 = new float[EIGEN.length];
            for (int i = 0; i < w0.length; i++) {
                w0[i] = 0.5f - 0.1f * i;
            }
            model = new Weights(w0);
        }

        Variable loss() {
            Variable aw = F.matmul(Variable.constant(a), model.w);
            return F.scale(F.sum(F.mul(model.w, aw)), 0.5f);
        }

        @Override
        public String name() {
            return "quadratic";
        }

        @Override
        public Module model() {
            return model;
        }

        @Override
        public Variable trainLoss(long step, long cursor) {
            return loss();
        }

        @Override
        public Optional<Variable> probeLoss(long step, long index) {
            return Optional.of(loss());
        }

        @Override
        public Map<String, Double> evaluate() {
            return Map.of();
        }

        @Override
        public long itemsPerMicroBatch() {
            return 1;
        }

        @Override
        public String unit() {
            return "samples";
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of();
        }
    }

    @Test
    void powerIterationOnAKnownMatrix() {
        float[] a = matrix();
        int n = EIGEN.length;
        float[][] start = {new float[n]};
        for (int i = 0; i < n; i++) {
            start[0][i] = 1f + i;
        }
        double top = PowerIteration.top((v, out) -> {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += a[i * n + j] * v[0][j];
                }
                out[0][i] = (float) s;
            }
        }, start, 60);
        assertEquals(4.0, top, 1e-5);
    }

    @Test
    void probeFindsTheTopEigenvalueAndRestoresWeightsAndGradients() {
        Quadratic task = new Quadratic();
        List<ParamRef> params = Trainer.paramRefs(task);
        Probes probes = Probes.of(new ProbePlan(0, 0, 0, 1, 60, 0, 0, 0));
        probes.beforeStep(0, task, params);
        params.forEach(ParamRef::clearGrad);
        task.trainLoss(0, 0).backward();
        probes.afterMicroBatch(0, 0, task, params);
        float[] w = params.get(0).value().toFloatArray();
        float[] g = params.get(0).grad().toFloatArray();
        probes.afterBackward(0, task, params);
        float[] w2 = params.get(0).value().toFloatArray();
        float[] g2 = params.get(0).grad().toFloatArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(w2[i]), "weight " + i);
            assertEquals(Float.floatToRawIntBits(g[i]), Float.floatToRawIntBits(g2[i]), "gradient " + i);
        }
        Signals s = probes.collect(0);
        assertTrue(s.has(Signals.HESSIAN_TOP), s.toString());
        assertEquals(4.0, s.get(Signals.HESSIAN_TOP), 4e-3);
        assertTrue(probes.costNanos().get(Probes.HESSIAN) > 0);
    }
}
