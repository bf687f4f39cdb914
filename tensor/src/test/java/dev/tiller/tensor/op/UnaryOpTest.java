package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefUnary;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static dev.tiller.tensor.TestData.bitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unary ops: hand goldens, backward helpers against central differences of double forwards, layouts, messages. */
class UnaryOpTest {
    private static final double K = Math.sqrt(2.0 / Math.PI);

    @Test
    void handGoldens() {
        // Phi(1) = 0.8413447460685429 (normal CDF), so gelu(1) = 1 * Phi(1) and gelu(-1) = -Phi(-1) = -(1 - Phi(1))
        float[] g = Unary.gelu(Tensor.of(new float[] {0f, 1f, -1f}), false).toFloatArray();
        assertEquals(0f, g[0]);
        assertEquals(0.8413447460685429, g[1], 1e-7);
        assertEquals(-0.15865525393145707, g[2], 1e-7);
        // tanh form at 1: 0.5 (1 + tanh(sqrt(2/pi) * 1.044715))
        double gt1 = 0.5 * (1 + Math.tanh(K * 1.044715));
        assertEquals(gt1, Unary.gelu(Tensor.of(new float[] {1f}), true).item(), 1e-7);
        // left tail: 1 + erf(z) is taken as erfc(|z|) = e^r, relative error under 1e-4 down to x = -6 (measured
        // 7.2e-5 on [-6, -5]); gelu(-5.5) = -5.5 Phi(-5.5) = -1.04e-7, where 1 + erf in float would cancel to 0
        float tail = Unary.gelu(Tensor.of(new float[] {-5.5f}), false).item();
        double tailRef = -5.5 * 0.5 * RefUnary.erfc(5.5 / Math.sqrt(2));
        assertEquals(tailRef, tail, 1e-4 * Math.abs(tailRef));
        // far left: only the absolute bound 0.5 |x| 5 * 2^-24 holds (the value is 7.6e-23)
        float far = Unary.gelu(Tensor.of(new float[] {-10f}), false).item();
        assertEquals(-10 * 0.5 * RefUnary.erfc(10 / Math.sqrt(2)), far, 0.5 * 10 * 5 * 0x1p-24);
        assertTrue(far <= 0f);
        // softplus(beta 1, threshold 20): ln 2 at 0; 30 exactly above the threshold; e^-30 far left
        float[] sp = Unary.softplus(Tensor.of(new float[] {0f, 30f, -30f}), 1f, 20f).toFloatArray();
        assertEquals((float) Math.log(2), sp[0]);
        assertEquals(30f, sp[1]);
        assertEquals(Math.exp(-30), sp[2], 1e-20);
        // sigmoid never rounds tiny values to 0: sigmoid(-100) = e^-100 / (1 + e^-100) = 3.72e-44 (subnormal)
        float s = Unary.sigmoid(Tensor.of(new float[] {-100f})).item();
        assertTrue(s > 0f && Math.abs(s - Math.exp(-100)) <= 0x1p-149 * 2, "sigmoid(-100) = " + s);
        assertArrayEquals(new float[] {0f, 0f, 2f}, Unary.relu(Tensor.of(new float[] {-1f, 0f, 2f})).toFloatArray());
        assertArrayEquals(new float[] {-0.5f, 0f, 0.5f, 0.5f},
                Unary.clamp(Tensor.of(new float[] {-3f, 0f, 0.5f, 9f}), -0.5f, 0.5f).toFloatArray());
        assertArrayEquals(new float[] {1f, 1f}, Unary.clamp(Tensor.of(new float[] {-3f, 3f}), 2f, 1f).toFloatArray(),
                "lo > hi: everything becomes hi (PyTorch)");
        assertArrayEquals(new float[] {-0.02f, 0f, 3f},
                Unary.leakyRelu(Tensor.of(new float[] {-2f, 0f, 3f}), 0.01f).toFloatArray());
        assertArrayEquals(new float[] {8f, 0.125f}, Unary.powScalar(Tensor.of(new float[] {2f, 0.5f}), 3f)
                .toFloatArray(), 0f);
        assertArrayEquals(new float[] {0.5f, 2f}, Unary.rsqrt(Tensor.of(new float[] {4f, 0.25f})).toFloatArray());
        assertArrayEquals(new float[] {3.5f, -0.5f}, Unary.addScalar(Tensor.of(new float[] {3f, -1f}), 0.5f)
                .toFloatArray());
        assertArrayEquals(new float[] {-6f, 2f}, Unary.mulScalar(Tensor.of(new float[] {3f, -1f}), -2f)
                .toFloatArray());
        assertTrue(Float.isNaN(Unary.relu(Tensor.of(new float[] {Float.NaN})).item()), "relu keeps NaN");
    }

    @Test
    void kinkConventions() {
        Tensor x = Tensor.of(new float[] {-1f, -0.5f, 0f, 0.5f, 1f});
        Tensor ones = Tensor.ones(5);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1}, Unary.reluBackward(x, ones).toFloatArray(), "relu'(0) = 0");
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f, 1, 1}, Unary.leakyReluBackward(x, ones, 0.1f)
                .toFloatArray(), "leaky'(0) = slope");
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, Unary.clampBackward(x, ones, -0.5f, 0.5f).toFloatArray(),
                "clamp passes the gradient at the bounds themselves, 0 outside");
        assertArrayEquals(new float[] {0f}, Unary.clampBackward(Tensor.of(new float[] {Float.NaN}, 1), Tensor.ones(1),
                -1f, 1f).toFloatArray(), "NaN input: no gradient");
        // softplus linear region: slope exactly 1 where beta x > threshold
        assertEquals(1f, Unary.softplusBackward(Tensor.of(new float[] {30f}, 1), Tensor.ones(1), 1f, 20f).item());
    }

    @Test
    void backwardHelpersMatchCentralDifferencesOfDoubleForwards() {
        double sqrtHalf = Math.sqrt(0.5);
        checkGradient("gelu", x -> 0.5 * x * RefUnary.erfc(-x * sqrtHalf), (a, g) -> Unary.geluBackward(a, g, false),
                false);
        checkGradient("gelu tanh", x -> 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x))),
                (a, g) -> Unary.geluBackward(a, g, true), false);
        checkGradient("silu", x -> x * RefUnary.sigmoid(x), Unary::siluBackward, false);
        checkGradient("softplus", x -> 0.7 * x > 20 ? x : Math.log1p(Math.exp(0.7 * x)) / 0.7,
                (a, g) -> Unary.softplusBackward(a, g, 0.7f, 20f), false);
        checkGradient("tanh", Math::tanh, Unary::tanhBackward, true);
        checkGradient("sigmoid", RefUnary::sigmoid, Unary::sigmoidBackward, true);
        checkGradient("relu", x -> Math.max(x, 0), Unary::reluBackward, false);
        checkGradient("leakyRelu", x -> x > 0 ? x : 0.2 * x, (a, g) -> Unary.leakyReluBackward(a, g, 0.2f), false);
        checkGradient("clamp", x -> Math.min(Math.max(x, -1.5), 2.5), (a, g) -> Unary.clampBackward(a, g, -1.5f,
                2.5f), false);
    }

    /**
     * dX from the helper against g * (f(x + h) - f(x - h)) / 2h with f in double and h = 1e-4: truncation error
     * h^2 |f'''| / 6 ~ 1e-9 and cancellation 1e-16 / h ~ 1e-12, far under the helper's float rounding
     * (a few ulps, so 1e-6 relative); points stay 0.01 away from kinks.
     */
    private static void checkGradient(String name, DoubleUnaryOperator f, BiFunction<Tensor, Tensor, Tensor> back,
                                      boolean fromOutput) {
        int n = 301;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = -7.5f + 15f * i / (n - 1) + 0.0037f;          // never on a kink (0, -1.5, 2.5)
        }
        Tensor x = Tensor.of(xs);
        Tensor g = Tensor.uniform(77, 1, -2f, 2f, n);
        Tensor at = x;
        if (fromOutput) {
            float[] ys = new float[n];
            for (int i = 0; i < n; i++) {
                ys[i] = (float) f.applyAsDouble(xs[i]);
            }
            at = Tensor.of(ys);
        }
        float[] got = back.apply(at, g).toFloatArray();
        float[] gv = g.toFloatArray();
        double h = 1e-4;
        for (int i = 0; i < n; i++) {
            double fd = (f.applyAsDouble(xs[i] + h) - f.applyAsDouble(xs[i] - h)) / (2 * h);
            double want = gv[i] * fd;
            // from-output helpers see y rounded to float: (1 - y^2)' moves by 2|y| ulp(y) ~ 1.2e-7
            double tol = 1e-6 * Math.abs(want) + 1e-7 * Math.abs(gv[i]) + (fromOutput ? 3e-7 * Math.abs(gv[i]) : 0);
            assertEquals(want, got[i], tol, name + "' at x=" + xs[i]);
        }
    }

    @Test
    void nonContiguousInputsGiveTheSameBitsAsContiguousOnes() {
        Tensor base = Tensor.uniform(8, 1, -4f, 4f, 33, 17);
        Tensor view = base.t();                                  // (17, 33), strided
        Tensor dense = view.contiguous();
        for (UnaryOperator<Tensor> op : List.<UnaryOperator<Tensor>>of(Unary::exp, Unary::silu,
                t -> Unary.gelu(t, false), t -> Unary.softplus(t, 1f, 20f), t -> Unary.clamp(t, -1f, 1f))) {
            Tensor a = op.apply(view);
            Tensor b = op.apply(dense);
            assertArrayEquals(new int[] {17, 33}, a.shape());
            assertTrue(bitwiseEqual(a.toFloatArray(), b.toFloatArray()));
        }
        assertArrayEquals(Unary.tanhBackward(dense, dense).toFloatArray(),
                Unary.tanhBackward(view, view).toFloatArray());
        assertEquals(0, Unary.exp(Tensor.zeros(0, 5)).numel());
        assertEquals((float) Math.E, Unary.exp(Tensor.scalar(1f)).item(), Math.ulp((float) Math.E));
    }

    @Test
    void resultsAreBitwiseIdenticalFor1And2And4Threads() {
        int old = Parallel.threads();
        try {
            Tensor x = Tensor.uniform(9, 1, -6f, 6f, 3 * 16384 + 5);
            float[][] got = new float[3][];
            int[] threads = {1, 2, 4};
            for (int t = 0; t < 3; t++) {
                Parallel.setThreads(threads[t]);
                got[t] = Unary.geluBackward(x, Unary.gelu(x, true), false).toFloatArray();
            }
            assertTrue(bitwiseEqual(got[0], got[1]));
            assertTrue(bitwiseEqual(got[0], got[2]));
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test
    void errorsNameTheOpAndShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Unary.exp(Tensor.zeros(DType.I32, 3)));
        assertTrue(e.getMessage().startsWith("exp: ") && e.getMessage().contains("i32")
                && e.getMessage().contains("hint"), e.getMessage());
        ShapeMismatchException s = assertThrows(ShapeMismatchException.class,
                () -> Unary.reluBackward(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertTrue(s.getMessage().startsWith("reluBackward: ") && s.getMessage().contains("(2, 3)")
                && s.getMessage().contains("(3, 2)"), s.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Unary.softplus(Tensor.zeros(2), 0f, 20f));
        assertTrue(e.getMessage().startsWith("softplus: "), e.getMessage());
    }
}
