package dev.tiller.optim;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fused equals composed (after optax's inject-hyperparams equivalence test): the single-pass kernels
 * behind FusedUpdate give exactly what PyTorch's sequence of whole-tensor operations gives when each operation is
 * its own pass over float32 arrays (lerp_, mul_, addcmul_, sqrt, div, add_, addcdiv_ for Adam; the optax chain
 * for Lion). Each element sees the same float32 operations in the same order, so equality is bitwise. Tensors span
 * several parallel chunks plus a ragged end, and the result is the same for 1, 2 and 4 threads.
 */
class FusedEqualsComposedTest {
    private static final long SEED = 20261122L;
    private static final int N = 3 * FusedUpdate.GRAIN + 123;
    private static final int[] THREADS = {1, 2, 4};
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    private static float[] rand(long stream, float lo, float hi) {
        return Tensor.uniform(SEED, stream, lo, hi, N).toFloatArray();
    }

    private static Tensor t(float[] a) {
        return Tensor.of(a.clone(), a.length);
    }

    private static void assertBitwise(float[] want, Tensor got, String what) {
        float[] g = got.toFloatArray();
        for (int i = 0; i < want.length; i++) {
            int at = i;
            assertTrue(Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(g[i]),
                    () -> what + "[" + at + "]: composed " + want[at] + " fused " + g[at]);
        }
    }

    /** PyTorch's lerp_ as one pass. */
    private static void lerp(float[] m, float[] g, float w) {
        for (int i = 0; i < m.length; i++) {
            m[i] = Math.abs(w) < 0.5f ? m[i] + w * (g[i] - m[i]) : g[i] - (g[i] - m[i]) * (1f - w);
        }
    }

    /** The Adam tail as torch ops: v.mul_(b2).addcmul_(g, g, 1 - b2); denom = v.sqrt() / bc2Sqrt + eps; addcdiv_. */
    private static void adamTail(float[] p, float[] g, float[] m, float[] v, float beta2, float c2, float eps,
                                 float stepSize, float bc2Sqrt) {
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * beta2;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] + c2 * g[i] * g[i];
        }
        float[] denom = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            denom[i] = (float) Math.sqrt(v[i]);
        }
        for (int i = 0; i < v.length; i++) {
            denom[i] = denom[i] / bc2Sqrt;
        }
        for (int i = 0; i < v.length; i++) {
            denom[i] = denom[i] + eps;
        }
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] + -stepSize * m[i] / denom[i];
        }
    }

    @Test
    void fusedAdamwEqualsComposedTorchOps() {
        float[] p = rand(1, -1f, 1f);
        float[] g = rand(2, -1f, 1f);
        float[] m = rand(3, -0.1f, 0.1f);
        float[] v = rand(4, 0f, 0.01f);
        float decay = (float) (1 - 0.01 * 0.1);
        float w1 = 0.1f;
        float c2 = 0.001f;
        float stepSize = (float) (0.01 / (1 - Math.pow(0.9, 7)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(0.999, 7));
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor tp = t(p);
            Tensor tg = t(g);
            Tensor tm = t(m);
            Tensor tv = t(v);
            FusedUpdate.adamw(tp, tg, tm, tv, new AdamTerms(-1f, decay, 0f, w1, 0.999f, c2, 1e-8f), stepSize,
                    bc2Sqrt);
            float[] cp = p.clone();
            float[] cg = g.clone();
            float[] cm = m.clone();
            float[] cv = v.clone();
            for (int i = 0; i < N; i++) {
                cp[i] = cp[i] * decay;                   // param.mul_(1 - lr * weight_decay)
            }
            for (int i = 0; i < N; i++) {
                cg[i] = -cg[i];                          // maximize
            }
            lerp(cm, cg, w1);
            adamTail(cp, cg, cm, cv, 0.999f, c2, 1e-8f, stepSize, bc2Sqrt);
            assertBitwise(cp, tp, "adamw p, threads " + threads);
            assertBitwise(cm, tm, "adamw m, threads " + threads);
            assertBitwise(cv, tv, "adamw v, threads " + threads);
            assertBitwise(g, tg, "adamw g untouched");
        }
    }

    @Test
    void fusedAdamEqualsComposedTorchOps() {
        float[] p = rand(5, -1f, 1f);
        float[] g = rand(6, -1f, 1f);
        float[] m = rand(7, -0.1f, 0.1f);
        float[] v = rand(8, 0f, 0.01f);
        float wd = 0.05f;
        float w1 = 0.7f;                                  // beta1 = 0.3: PyTorch's lerp takes its second branch
        float stepSize = (float) (1e-3 / (1 - Math.pow(0.3, 3)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(0.99, 3));
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor tp = t(p);
            Tensor tm = t(m);
            Tensor tv = t(v);
            FusedUpdate.adam(tp, t(g), tm, tv, new AdamTerms(1f, 1f, wd, w1, 0.99f, 0.01f, 1e-8f), stepSize, bc2Sqrt);
            float[] cp = p.clone();
            float[] cg = g.clone();
            float[] cm = m.clone();
            float[] cv = v.clone();
            for (int i = 0; i < N; i++) {
                cg[i] = cg[i] + wd * cp[i];              // grad.add(param, alpha=weight_decay)
            }
            lerp(cm, cg, w1);
            adamTail(cp, cg, cm, cv, 0.99f, 0.01f, 1e-8f, stepSize, bc2Sqrt);
            assertBitwise(cp, tp, "adam p, threads " + threads);
            assertBitwise(cm, tm, "adam m, threads " + threads);
            assertBitwise(cv, tv, "adam v, threads " + threads);
        }
    }

    @Test
    void fusedSgdEqualsComposedTorchOps() {
        float[] p = rand(9, -1f, 1f);
        float[] g = rand(10, -1f, 1f);
        float[] b = rand(11, -1f, 1f);
        float lr = 0.05f;
        float mu = 0.9f;
        float wd = 1e-3f;
        for (boolean nesterov : new boolean[] {false, true}) {
            float keep = nesterov ? 1f : 0.8f;           // dampening 0 (nesterov) or 0.2
            for (int threads : THREADS) {
                Parallel.setThreads(threads);
                Tensor tp = t(p);
                Tensor tb = t(b);
                FusedUpdate.sgdMomentum(tp, t(g), tb, new SgdStep(1f, wd, lr, mu, keep, nesterov, false));
                float[] cp = p.clone();
                float[] cg = g.clone();
                float[] cb = b.clone();
                for (int i = 0; i < N; i++) {
                    cg[i] = cg[i] + wd * cp[i];          // d_p = d_p.add(param, alpha=weight_decay)
                }
                for (int i = 0; i < N; i++) {
                    cb[i] = cb[i] * mu;                  // buf.mul_(momentum)
                }
                for (int i = 0; i < N; i++) {
                    cb[i] = cb[i] + keep * cg[i];        // .add_(d_p, alpha=1 - dampening)
                }
                float[] d = cb.clone();
                if (nesterov) {
                    for (int i = 0; i < N; i++) {
                        d[i] = cg[i] + mu * cb[i];       // d_p.add(buf, alpha=momentum)
                    }
                }
                for (int i = 0; i < N; i++) {
                    cp[i] = cp[i] + -lr * d[i];          // param.add_(d_p, alpha=-lr)
                }
                assertBitwise(cp, tp, "sgd p, nesterov " + nesterov + ", threads " + threads);
                assertBitwise(cb, tb, "sgd buf, nesterov " + nesterov + ", threads " + threads);
            }
        }
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor tp = t(p);
            FusedUpdate.sgd(tp, t(g), -1f, wd, lr);
            float[] cp = p.clone();
            for (int i = 0; i < N; i++) {
                cp[i] = cp[i] + -lr * (-g[i] + wd * p[i]);
            }
            assertBitwise(cp, tp, "plain sgd, threads " + threads);
        }
    }

    @Test
    void fusedLionEqualsComposedOptaxChain() {
        float[] p = rand(12, -1f, 1f);
        float[] g = rand(13, -1f, 1f);
        float[] m = rand(14, -1f, 1f);
        float lr = 1e-3f;
        float b1 = 0.9f;
        float b2 = 0.99f;
        float wd = 0.01f;
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor tp = t(p);
            Tensor tm = t(m);
            FusedUpdate.lion(tp, t(g), tm, lr, b1, 0.1f, b2, 0.01f, wd);
            // scale_by_lion: u = sign((1 - b1) g + b1 m); m = (1 - b2) g + b2 m
            float[] u = new float[N];
            float[] cm = m.clone();
            for (int i = 0; i < N; i++) {
                u[i] = Math.signum(0.1f * g[i] + b1 * m[i]);
            }
            for (int i = 0; i < N; i++) {
                cm[i] = 0.01f * g[i] + b2 * m[i];
            }
            for (int i = 0; i < N; i++) {
                u[i] = u[i] + wd * p[i];                 // add_decayed_weights
            }
            for (int i = 0; i < N; i++) {
                u[i] = -lr * u[i];                       // scale_by_learning_rate
            }
            float[] cp = p.clone();
            for (int i = 0; i < N; i++) {
                cp[i] = cp[i] + u[i];                    // apply_updates
            }
            assertBitwise(cp, tp, "lion p, threads " + threads);
            assertBitwise(cm, tm, "lion m, threads " + threads);
        }
    }
}
