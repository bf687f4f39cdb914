package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineTest {
    private static Variable param(float... v) {
        return Variable.param(Tensor.of(v, v.length));
    }

    @Test
    void quadraticHasTheHandDerivedGradient() {
        // y = x^2 + 5x + 4, dy/dx = 2x + 5; x = [3, 1, 4] gives [11, 7, 13] (candle's simple_grad)
        Variable x = param(3, 1, 4);
        Variable y = F.add(F.add(F.mul(x, x), F.scale(x, 5f)), Variable.constant(Tensor.full(4f, 3)));
        assertArrayEquals(new float[] {28, 10, 40}, y.value().toFloatArray());
        F.sum(y).backward();
        assertArrayEquals(new float[] {11, 7, 13}, x.grad().toFloatArray());
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Variable x = param(1, 2);
        F.sum(F.scale(x, 3f)).backward();
        F.sum(F.scale(x, 3f)).backward();
        assertArrayEquals(new float[] {6, 6}, x.grad().toFloatArray());
        x.zeroGrad();
        assertNull(x.grad());
        F.sum(x).backward();
        assertArrayEquals(new float[] {1, 1}, x.grad().toFloatArray());
    }

    @Test
    void aGradBufferReceivesTheGradient() {
        Variable x = param(1, 2);
        Tensor buffer = Tensor.zeros(2);
        x.useGradBuffer(buffer);
        F.sum(F.mul(x, x)).backward();
        assertArrayEquals(new float[] {2, 4}, buffer.toFloatArray());
        x.zeroGrad();
        assertArrayEquals(new float[] {0, 0}, buffer.toFloatArray());
    }

    @Test
    void aDiscardedGradientIsOverwrittenThenAccumulatesAndSettlesToZeroWhenNoneCame() {
        Variable x = param(1, 2);
        Tensor buffer = Tensor.zeros(2);
        x.useGradBuffer(buffer);
        F.sum(F.mul(x, x)).backward();                 // 2x = {2, 4}
        x.discardGrad();
        assertArrayEquals(new float[] {2, 4}, buffer.toFloatArray(), "discarding writes nothing");
        F.sum(F.scale(x, 3f)).backward();               // overwrites: {3, 3}, not {5, 7}
        assertArrayEquals(new float[] {3, 3}, buffer.toFloatArray());
        F.sum(x).backward();                            // a second pass adds, as after zeroGrad
        x.settleGrad();                                 // a gradient came: nothing to do
        assertArrayEquals(new float[] {4, 4}, buffer.toFloatArray());

        x.discardGrad();
        Variable y = param(5);
        F.sum(y).backward();                            // x is not in this graph: its gradient is zero
        x.settleGrad();
        assertArrayEquals(new float[] {0, 0}, buffer.toFloatArray());

        F.sum(x).backward();
        x.discardGrad();
        assertArrayEquals(new float[] {0, 0}, x.grad().toFloatArray(), "grad() settles a discarded gradient");
        assertArrayEquals(new float[] {0, 0}, buffer.toFloatArray());
    }

    @Test
    void aFreedGraphCannotBeReusedUnlessRetained() {
        Variable x = param(1, 2);
        Variable loss = F.sum(F.mul(x, x));
        loss.backward(Tensor.ones(), true);             // retain: a second pass is allowed
        loss.backward(Tensor.ones());                   // frees
        assertArrayEquals(new float[] {4, 8}, x.grad().toFloatArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loss.backward(Tensor.ones()));
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void noGradRecordsNothingAndDetachCutsTheGraph() {
        Variable x = param(1, 2);
        Variable y;
        try (GradMode.Scope s = GradMode.noGrad()) {
            y = F.mul(x, x);
        }
        assertFalse(y.requiresGrad());
        assertTrue(GradMode.isEnabled());
        assertThrows(IllegalStateException.class, () -> F.sum(y).backward());
        Variable z = F.add(F.mul(x.detach(), x), x);    // d/dx (c*x + x) with c = x held constant = c + 1
        F.sum(z).backward();
        assertArrayEquals(new float[] {2, 3}, x.grad().toFloatArray());
    }

    @Test
    void broadcastGradientsAreSummedBackToEachOperand() {
        Variable a = Variable.param(Tensor.of(new float[] {1, 2, 3}, 3, 1));
        Variable b = Variable.param(Tensor.of(new float[] {10, 20}, 2));
        Variable out = F.mul(a, b);                     // (3, 2): out[i][j] = a[i] * b[j]
        out.backward(Tensor.ones(3, 2));
        assertArrayEquals(new int[] {3, 1}, a.grad().shape());
        assertArrayEquals(new float[] {30, 30, 30}, a.grad().toFloatArray());   // sum_j b[j]
        assertArrayEquals(new float[] {6, 6}, b.grad().toFloatArray());         // sum_i a[i]
    }

    @Test
    void aVariableUsedTwiceGetsBothContributions() {
        Variable x = param(2);
        Variable y = F.mul(F.exp(x), F.exp(x));         // e^{2x}, dy/dx = 2 e^{2x}
        y.backward(Tensor.ones(1));
        assertEquals(2 * Math.exp(4), x.grad().getFloat(0), 2 * Math.exp(4) * 1e-6);
    }

    @Test
    void anomalyModeNamesTheOpShapesAndCallerLine() {
        Anomaly.enable(true);
        try {
            Variable x = param(-1, 2);
            Anomaly.AnomalyException e = assertThrows(Anomaly.AnomalyException.class, () -> F.log(x));
            String m = e.getMessage();
            assertTrue(m.startsWith("log forward produced NaN"), m);
            assertTrue(m.contains("inputs (2)"), m);
            assertTrue(m.contains("EngineTest") && m.contains(".java:"), m);
            Variable y = param(0, 1);
            Variable s = F.sqrt(y);                    // forward fine: sqrt(0) = 0; backward 1/(2*0) = inf
            Anomaly.AnomalyException b = assertThrows(Anomaly.AnomalyException.class, () -> F.sum(s).backward());
            assertTrue(b.getMessage().startsWith("sqrt backward produced Infinity"), b.getMessage());
        } finally {
            Anomaly.enable(false);
        }
        Variable quiet = F.log(param(-1));             // anomaly off: NaN is a value, not an error
        assertTrue(Float.isNaN(quiet.value().getFloat(0)));
    }

    @Test
    void hessianVectorProductMatchesTheAnalyticHessian() {
        // f(x) = 1/2 x^T A x + sum(x^3) / 3 with symmetric A: H = A + diag(2x).
        float[] a = {2, 1, 0, 1, 3, -1, 0, -1, 4};
        Tensor aT = Tensor.of(a, 3, 3);
        float[] x0 = {0.5f, -1f, 2f};
        float[] v = {1f, 0.5f, -2f};
        float[] hv = Curvature.hvp(x -> F.add(
                F.scale(F.sum(F.mul(x, F.matmul(Variable.constant(aT), x))), 0.5f),
                F.scale(F.sum(F.pow(x, 3f)), 1f / 3f)), Tensor.of(x0, 3), Tensor.of(v, 3), 1e-2);
        for (int i = 0; i < 3; i++) {
            double expect = 2 * x0[i] * v[i];
            for (int j = 0; j < 3; j++) {
                expect += a[i * 3 + j] * v[j];
            }
            // f''' is constant (6 on the diagonal), so the central difference is exact up to float32 rounding of
            // the gradients (~1e-6 relative) divided by 2e with e = 1e-2/||v|| ~ 4.6e-3: about 1e-3 absolute.
            assertEquals(expect, hv[i], 2e-3, "component " + i);
        }
    }

    @Test
    void matmulFollowsTorchRankRules() {
        Variable a = Variable.param(Tensor.uniform(1, 0, -1f, 1f, 3));
        Variable b = Variable.param(Tensor.uniform(2, 0, -1f, 1f, 3, 4));
        assertArrayEquals(new int[] {4}, F.matmul(a, b).shape());
        assertArrayEquals(new int[] {}, F.matmul(a, a).shape());
        Variable m = Variable.param(Tensor.uniform(3, 0, -1f, 1f, 2, 5, 3));
        assertArrayEquals(new int[] {2, 5}, F.matmul(m, a).shape());
        F.sum(F.matmul(m, a)).backward();
        assertArrayEquals(new int[] {3}, a.grad().shape());
    }
}
