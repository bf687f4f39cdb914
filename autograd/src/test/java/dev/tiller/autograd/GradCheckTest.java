package dev.tiller.autograd;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Unary;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Every op's backward against central finite differences of its forward, on random shapes.
 * Inputs are float32, so the step is 1e-2 (about 1e-2 of the input scale) and curvy ops use the 4-point stencil;
 * each tolerance is the truncation error (eps^2 or eps^4 times the third/fifth derivative's scale) plus float32
 * rounding of the loss divided by the step, stated per op. Inputs avoid kinks: relu-family inputs are kept
 * 0.05 away from 0, max inputs have distinct values, log/sqrt/div inputs stay positive.
 */
class GradCheckTest {
    private static final long SEED = 20261122L;

    /** Uniform in [lo, hi), nudged away from |x| < gap when gap > 0. */
    private static Tensor input(long seed, float lo, float hi, float gap, int... shape) {
        float[] v = Tensor.uniform(seed, 3, lo, hi, shape).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (gap > 0 && Math.abs(v[i]) < gap) {
                v[i] = v[i] < 0 ? v[i] - gap : v[i] + gap;
            }
        }
        return Tensor.of(v, shape);
    }

    private static void check(String op, Function<Variable[], Variable> f, double eps, boolean precise,
                              double tol, long seed, Tensor... inputs) {
        boolean[] diff = new boolean[inputs.length];
        Arrays.fill(diff, true);
        GradCheck.Report r = GradCheck.check(f, inputs, diff, eps, precise, seed);
        assertTrue(r.maxError() <= tol, op + ": error " + r.maxError() + " > " + tol + " at " + r.worst());
    }

    @Test
    void unaryOpsMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(12)
            .forAll(integers().between(1, 5), integers().between(1, 7), longs().between(0, 1_000_000))
            .checkAssert((rows, cols, seed) -> {
                Tensor x = input(seed, -2f, 2f, 0.05f, rows, cols);
                Tensor pos = input(seed + 1, 0.3f, 2f, 0f, rows, cols);
                // truncation ~ eps^4 f^(5) / 30 with the stencil; rounding ~ 1e-7 * sum|out r| / eps
                double tol = 2e-3;
                check("neg", v -> F.neg(v[0]), 1e-2, false, tol, seed, x);
                check("exp", v -> F.exp(v[0]), 1e-2, true, tol, seed, x);
                check("log", v -> F.log(v[0]), 1e-2, true, tol, seed, pos);
                check("sqrt", v -> F.sqrt(v[0]), 1e-2, true, tol, seed, pos);
                check("tanh", v -> F.tanh(v[0]), 1e-2, true, tol, seed, x);
                check("sigmoid", v -> F.sigmoid(v[0]), 1e-2, true, tol, seed, x);
                check("relu", v -> F.relu(v[0]), 1e-2, false, tol, seed, x);
                check("silu", v -> F.silu(v[0]), 1e-2, true, tol, seed, x);
                check("gelu", v -> F.gelu(v[0], false), 1e-2, true, tol, seed, x);
                check("gelu_tanh", v -> F.gelu(v[0], true), 1e-2, true, tol, seed, x);
                check("softplus", v -> F.softplus(v[0], 1.5f, 20f), 1e-2, true, tol, seed, x);
                check("leaky_relu", v -> F.leakyRelu(v[0], 0.1f), 1e-2, false, tol, seed, x);
                // clamp's kinks are at the bounds -1 and 1: x - 1 sits 0.05 or more from 0 for x = input + 1
                Tensor nearBounds = Unary.addScalar(input(seed, -1f, 1f, 0.05f, rows, cols), 1f);
                check("clamp", v -> F.clamp(v[0], -1f, 1f), 1e-2, false, tol, seed, nearBounds);
                check("pow", v -> F.pow(v[0], 3f), 1e-2, true, tol, seed, x);
                check("scale", v -> F.scale(v[0], -1.5f), 1e-2, false, tol, seed, x);
                check("add_scalar", v -> F.addScalar(v[0], 0.25f), 1e-2, false, tol, seed, x);
            });
    }

    @Test
    void binaryOpsWithBroadcastingMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(12)
            .forAll(integers().between(1, 4), integers().between(1, 5), longs().between(0, 1_000_000))
            .checkAssert((r, c, seed) -> {
                Tensor a = input(seed, -2f, 2f, 0f, r, 1, c);
                Tensor b = input(seed + 7, -2f, 2f, 0f, 3, c);
                Tensor bPos = input(seed + 9, 0.5f, 2f, 0f, 3, c);
                double tol = 2e-3;
                check("add", v -> F.add(v[0], v[1]), 1e-2, false, tol, seed, a, b);
                check("sub", v -> F.sub(v[0], v[1]), 1e-2, false, tol, seed, a, b);
                check("mul", v -> F.mul(v[0], v[1]), 1e-2, false, tol, seed, a, b);
                check("div", v -> F.div(v[0], v[1]), 1e-2, true, tol, seed, a, bPos);
                // maximum: operands at least 0.05 apart so no step crosses a tie
                Tensor m2 = Tensor.of(shift(a.expand(r, 3, c).contiguous().toFloatArray(), 0.3f), r, 3, c);
                check("maximum", v -> F.maximum(v[0], v[1]), 1e-2, false, tol, seed, a.expand(r, 3, c).copy(), m2);
                Tensor cond = Tensor.uniform(seed, 5, 0f, 1f, 3, c);
                float[] cv = cond.toFloatArray();
                for (int i = 0; i < cv.length; i++) {
                    cv[i] = cv[i] < 0.5f ? 0f : 1f;
                }
                Tensor mask = Tensor.of(cv, 3, c);
                check("where", v -> F.where(mask, v[0], v[1]), 1e-2, false, tol, seed, a, b);
            });
    }

    private static float[] shift(float[] v, float by) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] + (i % 2 == 0 ? by : -by);
        }
        return out;
    }

    @Test
    void reductionsMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(10)
            .forAll(integers().between(1, 4), integers().between(1, 5), integers().between(1, 4),
                    longs().between(0, 1_000_000))
            .checkAssert((a, b, c, seed) -> {
                Tensor x = input(seed, -2f, 2f, 0f, a, b, c);
                double tol = 2e-3;
                check("sum", v -> F.sum(v[0], new int[] {1}, true), 1e-2, false, tol, seed, x);
                check("sum_all", v -> F.sum(v[0]), 1e-2, false, tol, seed, x);
                check("mean", v -> F.mean(v[0], new int[] {0, 2}, false), 1e-2, false, tol, seed, x);
                check("logsumexp", v -> F.logsumexp(v[0], new int[] {-1}, false), 1e-2, true, tol, seed, x);
                // amax: distinct values (a permutation of a grid), so no step of 1e-2 changes the argmax
                int n = a * b * c;
                float[] d = new float[n];
                for (int i = 0; i < n; i++) {
                    d[i] = ((i * 7919L + seed) % n) * 0.1f;
                }
                check("amax", v -> F.amax(v[0], new int[] {1}, false), 1e-2, false, tol, seed,
                        Tensor.of(d, a, b, c));
            });
    }

    @Test
    void movementOpsMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(8)
            .forAll(integers().between(1, 4), integers().between(1, 4), integers().between(2, 5),
                    longs().between(0, 1_000_000))
            .checkAssert((a, b, c, seed) -> {
                Tensor x = input(seed, -2f, 2f, 0f, a, b, c);
                Tensor y = input(seed + 1, -2f, 2f, 0f, a, 2, c);
                double tol = 1e-3;
                check("permute", v -> F.permute(v[0], 2, 0, 1), 1e-2, false, tol, seed, x);
                check("reshape", v -> F.reshape(v[0], c, -1), 1e-2, false, tol, seed, x);
                check("cat", v -> F.cat(1, v[0], v[1]), 1e-2, false, tol, seed, x, y);
                check("slice", v -> F.slice(v[0], 2, 1, c, 2), 1e-2, false, tol, seed, x);
                check("transpose+matmul", v -> F.matmul(F.transpose(v[0], 1, 2), v[1]), 1e-2, false, 2e-3, seed,
                        input(seed, -1f, 1f, 0f, a, 3, b), input(seed + 3, -1f, 1f, 0f, a, 3, 2));
                check("expand", v -> F.mul(F.expand(v[0], a, b, c), v[1]), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, 1, b, 1), x);
            });
    }

    @Test
    void matmulAndLinearMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(10)
            .forAll(integers().between(1, 6), integers().between(1, 9), integers().between(1, 6),
                    longs().between(0, 1_000_000))
            .checkAssert((m, k, n, seed) -> {
                double tol = 2e-3;
                check("matmul", v -> F.matmul(v[0], v[1]), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, m, k), input(seed + 1, -1f, 1f, 0f, k, n));
                check("matmul_batched_broadcast", v -> F.matmul(v[0], v[1]), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, 2, m, k), input(seed + 1, -1f, 1f, 0f, k, n));
                check("linear", v -> F.linear(v[0], v[1], v[2]), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, m, k), input(seed + 1, -1f, 1f, 0f, n, k),
                        input(seed + 2, -1f, 1f, 0f, n));
            });
    }

    @Test
    void softmaxFamilyAndLossesMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(10)
            .forAll(integers().between(1, 5), integers().between(2, 8), longs().between(0, 1_000_000))
            .checkAssert((n, c, seed) -> {
                Tensor x = input(seed, -2f, 2f, 0f, n, c);
                long[] t = new long[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (i * 31L + seed) % c;
                }
                Tensor targets = Tensor.ofLongs(t, n);
                double tol = 2e-3;
                check("softmax", v -> F.softmax(v[0], -1), 1e-2, true, tol, seed, x);
                check("softmax_dim0", v -> F.softmax(v[0], 0), 1e-2, true, tol, seed, x);
                check("log_softmax", v -> F.logSoftmax(v[0], 1), 1e-2, true, tol, seed, x);
                check("cross_entropy", v -> F.crossEntropy(v[0], targets, 0.1f, -100, "mean"), 1e-2, true, tol,
                        seed, x);
                check("cross_entropy_sum", v -> F.crossEntropy(v[0], targets, 0f, -100, "sum"), 1e-2, true, tol,
                        seed, x);
                check("mse_loss", v -> F.mseLoss(v[0], v[1], "mean"), 1e-2, false, tol, seed, x,
                        input(seed + 5, -2f, 2f, 0f, n, c));
            });
    }

    @Test
    void normalisationsMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(8)
            .forAll(integers().between(1, 4), integers().between(2, 9), longs().between(0, 1_000_000))
            .checkAssert((rows, c, seed) -> {
                double tol = 5e-3;
                check("layer_norm", v -> F.layerNorm(v[0], v[1], v[2], 1e-5f), 1e-2, true, tol, seed,
                        input(seed, -2f, 2f, 0f, rows, c), input(seed + 1, 0.5f, 1.5f, 0f, c),
                        input(seed + 2, -1f, 1f, 0f, c));
                check("rms_norm", v -> F.rmsNorm(v[0], v[1], 1e-6f), 1e-2, true, tol, seed,
                        input(seed, -2f, 2f, 0.1f, rows, c), input(seed + 1, 0.5f, 1.5f, 0f, c));
                check("batch_norm", v -> F.batchNorm2d(v[0], v[1], v[2], null, null, true, 0.1f, 1e-5f), 1e-2,
                        true, tol, seed, input(seed, -2f, 2f, 0f, 3, c, 2, 2), input(seed + 1, 0.5f, 1.5f, 0f, c),
                        input(seed + 2, -1f, 1f, 0f, c));
                Tensor runningMean = input(seed + 3, -0.5f, 0.5f, 0f, c);
                Tensor runningVar = input(seed + 4, 0.5f, 2f, 0f, c);
                check("batch_norm_eval", v -> F.batchNorm2d(v[0], v[1], v[2], runningMean, runningVar, false, 0.1f,
                        1e-5f), 1e-2, false, tol, seed, input(seed, -2f, 2f, 0f, 2, c, 2, 3),
                        input(seed + 1, 0.5f, 1.5f, 0f, c), input(seed + 2, -1f, 1f, 0f, c));
            });
    }

    @Test
    void convolutionPoolingEmbeddingAndAttentionMatchFiniteDifferences() {
        qt().withFixedSeed(SEED).withExamples(6)
            .forAll(integers().between(1, 2), integers().between(1, 3), integers().between(4, 7),
                    longs().between(0, 1_000_000))
            .checkAssert((n, cin, hw, seed) -> {
                double tol = 3e-3;
                check("conv2d", v -> F.conv2d(v[0], v[1], v[2], new int[] {2, 1}, new int[] {1, 1},
                        new int[] {1, 2}, 1), 1e-2, false, tol, seed, input(seed, -1f, 1f, 0f, n, cin, hw, hw),
                        input(seed + 1, -1f, 1f, 0f, 2, cin, 3, 2), input(seed + 2, -1f, 1f, 0f, 2));
                check("conv2d_groups", v -> F.conv2d(v[0], v[1], null, new int[] {1, 1}, new int[] {0, 0},
                        new int[] {1, 1}, 2), 1e-2, false, tol, seed, input(seed, -1f, 1f, 0f, n, 4, hw, hw),
                        input(seed + 1, -1f, 1f, 0f, 4, 2, 2, 2));
                // pooling inputs: distinct values 0.1 apart so no step changes a window's maximum
                int count = n * cin * hw * hw;
                float[] d = new float[count];
                for (int i = 0; i < count; i++) {
                    d[i] = ((i * 7919L + seed) % count) * 0.1f;
                }
                Tensor distinct = Tensor.of(d, n, cin, hw, hw);
                check("max_pool2d", v -> F.maxPool2d(v[0], new int[] {2, 2}, new int[] {2, 1}, new int[] {1, 0},
                        new int[] {1, 1}, true), 1e-2, false, tol, seed, distinct);
                check("avg_pool2d", v -> F.avgPool2d(v[0], new int[] {3, 2}, null, new int[] {1, 1}, false, false),
                        1e-2, false, tol, seed, input(seed, -1f, 1f, 0f, n, cin, hw, hw));
                check("adaptive_avg_pool2d", v -> F.adaptiveAvgPool2d(v[0], 3, 2), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, n, cin, hw, hw));
                long[] idx = new long[n * 3];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = (i * 5L + seed) % hw;
                }
                check("embedding", v -> F.embedding(v[0], Tensor.ofLongs(idx, n, 3)), 1e-2, false, tol, seed,
                        input(seed, -1f, 1f, 0f, hw, cin + 1));
                check("causal_attention", v -> F.causalAttention(v[0], v[1], v[2]), 1e-2, true, tol, seed,
                        input(seed, -1f, 1f, 0f, n, 2, hw, 3), input(seed + 1, -1f, 1f, 0f, n, 2, hw, 3),
                        input(seed + 2, -1f, 1f, 0f, n, 2, hw, 3));
                check("causal_self_attention", v -> F.causalSelfAttention(v[0], 2), 1e-2, true, tol, seed,
                        input(seed + 3, -1f, 1f, 0f, n, hw, 3 * 2 * 3));
                check("attention_general", v -> F.attention(v[0], v[1], v[2], false, 0.7f), 1e-2, true, tol, seed,
                        input(seed, -1f, 1f, 0f, n, hw, 3), input(seed + 1, -1f, 1f, 0f, n, hw + 1, 3),
                        input(seed + 2, -1f, 1f, 0f, n, hw + 1, 2));
            });
    }

    @Test
    void dropoutScalesKeptElementsAndItsMaskIsRecomputable() {
        Tensor x = input(1, -1f, 1f, 0f, 4, 50);
        check("dropout", v -> F.dropout(v[0], 0.3f, true, 9, 4, 100), 1e-2, false, 1e-3, 1, x);
        float[] out = F.dropout(Variable.constant(x), 0.3f, true, 9, 4, 100).value().toFloatArray();
        float[] in = x.toFloatArray();
        int kept = 0;
        for (int i = 0; i < in.length; i++) {
            boolean keep = Philox.uniform(9, 4, 100 + i) >= 0.3f;
            assertTrue(keep ? Math.abs(out[i] - in[i] / 0.7f) <= 1e-6f * Math.abs(in[i] / 0.7f) : out[i] == 0f);
            kept += keep ? 1 : 0;
        }
        assertTrue(kept > 100 && kept < 180, "kept " + kept + " of 200 at p = 0.3");
    }
}
