package dev.tiller.tensor.op;

import dev.tiller.tensor.TestData;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static dev.tiller.tensor.op.RowOpSupport.U;
import static dev.tiller.tensor.op.RowOpSupport.assertClose;
import static dev.tiller.tensor.op.RowOpSupport.finiteDiff;
import static dev.tiller.tensor.op.RowOpSupport.uniform;
import static dev.tiller.tensor.op.RowOpSupport.withThreads;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Causal softmax and causal attention against a direct double-precision attention and finite differences. */
class AttentionTest {

    /**
     * Direct causal attention in double from the definition: s_ij = q_i . k_j / sqrt(hs) for j <= i,
     * p_i = softmax(s_i), out_i = sum_j p_ij v_j. q, k, v: (S, T, hs) flattened (S = B*H slices). Returns {out, p}.
     */
    static double[][] refAttention(double[] q, double[] k, double[] v, int slices, int t, int hs) {
        double[] out = new double[slices * t * hs];
        double[] p = new double[slices * t * t];
        double scale = 1 / Math.sqrt(hs);
        for (int s = 0; s < slices; s++) {
            for (int i = 0; i < t; i++) {
                double[] sc = new double[i + 1];
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < hs; d++) {
                        dot += q[(s * t + i) * hs + d] * k[(s * t + j) * hs + d];
                    }
                    sc[j] = dot * scale;
                    m = Math.max(m, sc[j]);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) {
                    z += Math.exp(sc[j] - m);
                }
                for (int j = 0; j <= i; j++) {
                    double pij = Math.exp(sc[j] - m) / z;
                    p[(s * t + i) * t + j] = pij;
                    for (int d = 0; d < hs; d++) {
                        out[(s * t + i) * hs + d] += pij * v[(s * t + j) * hs + d];
                    }
                }
            }
        }
        return new double[][] {out, p};
    }

    static double[] toDouble(float[] a) {
        return RowOpSupport.toDouble(a);
    }

    @Test
    void causalSoftmaxGolden() {
        // T = 3, scale 1: row 0 sees only itself -> 1; row 1: scores (0, 0) -> (1/2, 1/2); row 2: scores
        // (0, ln 2, ln 3) -> (1/6, 2/6, 3/6). Masked entries are exactly 0 whatever the score (here 99).
        float l2 = (float) Math.log(2);
        float l3 = (float) Math.log(3);
        Tensor s = Tensor.of(new float[] {5, 99, 99, 0, 0, 99, 0, l2, l3}, 1, 1, 3, 3);
        float[] p = Attention.causalSoftmax(s, 1f).toFloatArray();
        assertClose(new double[] {1, 0, 0, 0.5, 0.5, 0, 1 / 6.0, 2 / 6.0, 3 / 6.0}, p, 0, 4 * U, "causal golden");
        // scale 2 on scores (0, ln 2 / 2): softmax(0, ln 2) = (1/3, 2/3)
        Tensor s2 = Tensor.of(new float[] {0, 7, 0, l2 / 2}, 2, 2);
        assertClose(new double[] {1, 0, 1 / 3.0, 2 / 3.0}, Attention.causalSoftmax(s2, 2f).toFloatArray(), 0, 4 * U,
                "scaled golden");
    }

    @Test
    void causalSoftmaxBackwardMatchesFiniteDifferencesAndReference() {
        int t = 18;                                   // rows of 1..18: vector loops and tails
        float scale = 0.6f;
        float[] s = uniform(161, 2 * t * t, -2f, 2f);
        float[] r = uniform(162, 2 * t * t, -1f, 1f);
        Function<float[], float[]> f = v -> Attention.causalSoftmax(Tensor.of(v, 2, t, t), scale).toFloatArray();
        float[] p = f.apply(s);
        float[] d = Attention.causalSoftmaxBackward(Tensor.of(p, 2, t, t), Tensor.of(r, 2, t, t), scale)
                .toFloatArray();
        double[] fd = finiteDiff(s, f, r, 1e-2f);
        assertClose(fd, d, 1e-4, 1e-3, "causalSoftmax FD");
        // analytic in double: dS_ij = scale p_ij (r_ij - sum_{k<=i} r_ik p_ik) for j <= i, else 0, from the
        // double probabilities of the definition
        double[] ref = new double[s.length];
        for (int row = 0; row < 2 * t; row++) {
            int i = row % t;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                m = Math.max(m, scale * (double) s[row * t + j]);
            }
            double z = 0;
            for (int j = 0; j <= i; j++) {
                z += Math.exp(scale * (double) s[row * t + j] - m);
            }
            double dot = 0;
            double[] pr = new double[t];
            for (int j = 0; j <= i; j++) {
                pr[j] = Math.exp(scale * (double) s[row * t + j] - m) / z;
                dot += r[row * t + j] * pr[j];
            }
            for (int j = 0; j <= i; j++) {
                ref[row * t + j] = scale * pr[j] * (r[row * t + j] - dot);
            }
        }
        assertClose(ref, d, 4 * (t + 8) * U, 0, "causalSoftmax analytic");
    }

    @Test
    void causalAttentionMatchesDoubleReference() {
        qt().withFixedSeed(171L).withExamples(40)
                .forAll(integers().between(1, 6), integers().between(0, 20), integers().between(1, 20), longs().all())
                .checkAssert((slices, t, hs, seed) -> {
                    int n = slices * t * hs;
                    float[] q = uniform(seed, n, -1f, 1f);
                    float[] k = uniform(seed + 1, n, -1f, 1f);
                    float[] v = uniform(seed + 2, n, -1f, 1f);
                    int b = slices % 2 == 0 ? 2 : 1;
                    int h = slices / b;
                    Attention.AttentionResult res = Attention.causalAttention(Tensor.of(q, b, h, t, hs),
                            Tensor.of(k, b, h, t, hs), Tensor.of(v, b, h, t, hs));
                    double[][] ref = refAttention(toDouble(q), toDouble(k), toDouble(v), slices, t, hs);
                    // scores: a length-hs float dot of terms <= 1, error (hs + 2) u hs / sqrt(hs); exp turns an
                    // absolute score error into a relative one (twice: numerator and sum), softmax adds (t + 8) u;
                    // out: a length-t float sum of p |v| <= 1 adds (t + 2) u
                    double ds = (hs + 2) * U * Math.sqrt(hs);
                    double pTol = 2 * ds + (t + 8) * U;
                    assertClose(ref[1], res.probs().toFloatArray(), 1e-38, pTol, "probs t=" + t + " hs=" + hs);
                    assertClose(ref[0], res.out().toFloatArray(), pTol + (t + 2) * U, 0, "out t=" + t + " hs=" + hs);
                });
    }

    @Test
    void causalAttentionBackwardMatchesFiniteDifferencesAndDoubleReference() {
        int b = 1;
        int h = 2;
        int t = 17;                                   // softmax rows of 1..17 cross the vector widths
        int hs = 2;
        int n = b * h * t * hs;
        float[] q = uniform(181, n, -1f, 1f);
        float[] k = uniform(182, n, -1f, 1f);
        float[] v = uniform(183, n, -1f, 1f);
        float[] r = uniform(184, n, -1f, 1f);
        Attention.AttentionResult res = Attention.causalAttention(Tensor.of(q, b, h, t, hs), Tensor.of(k, b, h, t, hs),
                Tensor.of(v, b, h, t, hs));
        Attention.AttentionGrads g = Attention.causalAttentionBackward(Tensor.of(r, b, h, t, hs),
                Tensor.of(q, b, h, t, hs), Tensor.of(k, b, h, t, hs), Tensor.of(v, b, h, t, hs), res.probs());
        float[][] in = {q, k, v};
        float[][] grads = {g.dQ().toFloatArray(), g.dK().toFloatArray(), g.dV().toFloatArray()};
        String[] names = {"dQ", "dK", "dV"};
        for (int which = 0; which < 3; which++) {
            final int w = which;
            Function<float[], float[]> f = x -> {
                float[][] args = {q, k, v};
                args[w] = x;
                return Attention.causalAttention(Tensor.of(args[0], b, h, t, hs), Tensor.of(args[1], b, h, t, hs),
                        Tensor.of(args[2], b, h, t, hs)).out().toFloatArray();
            };
            // h = 1e-2 on O(1) inputs: truncation ~1e-5, float noise u * sum|out r| / h ~ 1e-5
            assertClose(finiteDiff(in[which], f, r, 1e-2f), grads[which], 2e-4, 1e-3, names[which] + " FD");
            // the double reference's gradient, by central differences in double (step 1e-5: error ~1e-10)
            double[] refGrad = new double[n];
            double[][] dq = {toDouble(q), toDouble(k), toDouble(v)};
            for (int i = 0; i < n; i++) {
                double x0 = dq[which][i];
                dq[which][i] = x0 + 1e-5;
                double lp = dot(refAttention(dq[0], dq[1], dq[2], b * h, t, hs)[0], r);
                dq[which][i] = x0 - 1e-5;
                double lm = dot(refAttention(dq[0], dq[1], dq[2], b * h, t, hs)[0], r);
                dq[which][i] = x0;
                refGrad[i] = (lp - lm) / 2e-5;
            }
            // float GEMMs of length <= max(t, hs) and the softmax rows: about 32 (t + hs) u
            assertClose(refGrad, grads[which], 32 * (t + hs) * U + 1e-8, 0, names[which] + " reference");
        }
    }

    private static double dot(double[] a, float[] r) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * r[i];
        }
        return s;
    }

    @Test
    void resultsAreBitwiseIdenticalForOneTwoAndFourThreads() {
        Tensor q = TestData.uniform(191, -1f, 1f, 2, 3, 17, 8);
        Tensor k = TestData.uniform(192, -1f, 1f, 2, 3, 17, 8);
        Tensor v = TestData.uniform(193, -1f, 1f, 2, 3, 17, 8);
        Tensor d = TestData.uniform(194, -1f, 1f, 2, 3, 17, 8);
        float[][] base = null;
        for (int threads : new int[] {1, 2, 4}) {
            float[][] got = withThreads(threads, () -> {
                Attention.AttentionResult res = Attention.causalAttention(q, k, v);
                Attention.AttentionGrads g = Attention.causalAttentionBackward(d, q, k, v, res.probs());
                return new float[][] {res.out().toFloatArray(), res.probs().toFloatArray(), g.dQ().toFloatArray(),
                    g.dK().toFloatArray(), g.dV().toFloatArray()};
            });
            if (base == null) {
                base = got;
            } else {
                for (int i = 0; i < base.length; i++) {
                    assertTrue(TestData.bitwiseEqual(base[i], got[i]), "output " + i + " at " + threads + " threads");
                }
            }
        }
    }

    /**
     * The packed form reads and writes the heads in place; splitting qkv into q, k, v heads, attending, and joining
     * the heads must give the same bits, forward and backward (dQkv holds dQ, dK, dV where q, k, v sat).
     */
    @Test
    void causalSelfAttentionIsSplitAttendJoinBitForBit() {
        qt().withFixedSeed(173L).withExamples(30)
                .forAll(integers().between(1, 6), integers().between(0, 20), integers().between(1, 12), longs().all())
                .checkAssert((slices, t, hs, seed) -> {
                    int b = slices % 2 == 0 ? 2 : 1;
                    int h = slices / b;
                    int c = h * hs;
                    Tensor qkv = Tensor.of(uniform(seed, b * t * 3 * c, -1f, 1f), b, t, 3 * c);
                    Tensor dOut = Tensor.of(uniform(seed + 1, b * t * c, -1f, 1f), b, t, c);
                    Tensor heads = qkv.reshape(b, t, 3, h, hs).permute(2, 0, 3, 1, 4);     // (3, B, H, T, hs)
                    Tensor q = heads.slice(0, 0, 1).contiguous().reshape(b, h, t, hs);
                    Tensor k = heads.slice(0, 1, 2).contiguous().reshape(b, h, t, hs);
                    Tensor v = heads.slice(0, 2, 3).contiguous().reshape(b, h, t, hs);
                    Attention.AttentionResult ref = Attention.causalAttention(q, k, v);
                    Attention.AttentionGrads g = Attention.causalAttentionBackward(
                            dOut.reshape(b, t, h, hs).permute(0, 2, 1, 3).contiguous(), q, k, v, ref.probs());
                    Attention.AttentionResult got = Attention.causalSelfAttention(qkv, h);
                    Tensor dQkv = Attention.causalSelfAttentionBackward(dOut, qkv, got.probs(), h);
                    String at = "b=" + b + " h=" + h + " t=" + t + " hs=" + hs;
                    assertTrue(TestData.bitwiseEqual(ref.probs().toFloatArray(), got.probs().toFloatArray()), at);
                    assertTrue(TestData.bitwiseEqual(ref.out().permute(0, 2, 1, 3).contiguous().toFloatArray(),
                            got.out().toFloatArray()), "out " + at);
                    float[][] parts = {g.dQ().toFloatArray(), g.dK().toFloatArray(), g.dV().toFloatArray()};
                    float[] joined = new float[b * t * 3 * c];                            // (B, T, 3, H, hs)
                    for (int bi = 0; bi < b; bi++) {
                        for (int ti = 0; ti < t; ti++) {
                            for (int part = 0; part < 3; part++) {
                                for (int hi = 0; hi < h; hi++) {
                                    System.arraycopy(parts[part], ((bi * h + hi) * t + ti) * hs, joined,
                                            (bi * t + ti) * 3 * c + part * c + hi * hs, hs);
                                }
                            }
                        }
                    }
                    assertTrue(TestData.bitwiseEqual(joined, dQkv.toFloatArray()), "dQkv " + at);
                });
    }

    @Test
    void badShapesAreRejected() {
        Tensor q = Tensor.zeros(1, 2, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attention.causalAttention(q, Tensor.zeros(1, 2, 4, 7), q));
        assertTrue(e.getMessage().contains("causalAttention") && e.getMessage().contains("k=(1, 2, 4, 7)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.causalAttention(Tensor.zeros(2, 4, 8), Tensor.zeros(2, 4, 8), Tensor.zeros(2, 4, 8)));
        assertTrue(e.getMessage().contains("transpose(1, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.causalAttentionBackward(q, q, q, q, Tensor.zeros(1, 2, 4, 5)));
        assertTrue(e.getMessage().contains("probs=(1, 2, 4, 5)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.causalSoftmax(Tensor.zeros(2, 3, 4), 1f));
        assertTrue(e.getMessage().contains("causalSoftmax") && e.getMessage().contains("(B, H, T, T)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.causalSoftmax(Tensor.zeros(3, 3), 0f));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.causalSelfAttention(Tensor.zeros(2, 4, 3 * 8), 3));
        assertTrue(e.getMessage().contains("causalSelfAttention") && e.getMessage().contains("heads = 3"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.causalSelfAttentionBackward(Tensor.zeros(2, 4, 7), Tensor.zeros(2, 4, 24),
                        Tensor.zeros(2, 2, 4, 4), 2));
        assertTrue(e.getMessage().contains("dOut=(2, 4, 7)"), e.getMessage());
    }
}
