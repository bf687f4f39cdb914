package dev.tiller.policy.probe;

import dev.tiller.autograd.ActivationObserver;
import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saturation fractions and attention entropy on hand-made inputs, seen through the engine's observer. */
class ActivationTallyTest {
    private static Variable v(float... x) {
        return Variable.param(Tensor.of(x, x.length));
    }

    @Test
    void countsZeroReluOutputsAndInputsInFlatTails() {
        ActivationTally t = new ActivationTally();
        try (GradMode.Scope s = ActivationObserver.observe(t)) {
            F.relu(v(-1f, 0f, 2f, -3f, 5f));                  // outputs 0, 0, 2, 0, 5: 3 of 5 zero
            F.tanh(v(-4f, 0f, 3.5f, 1f));                     // |x| > 3: 2
            F.gelu(v(-4f, 4f, 0f, -2f), false);               // x < -3: 1 (large positive is linear, not flat)
            F.gelu(v(-3.5f, 1f), true);                       // 1
            F.sigmoid(v(7f, -7f, 1f, 0f));                    // |x| > 6: 2
            F.silu(v(-7f, 7f, -5f, 0f));                      // x < -6: 1
            F.exp(v(100f));                                   // not an activation: not counted
        }
        assertEquals(3.0 / 5, t.deadRelu(), 0);
        assertEquals((2.0 + 1 + 1 + 2 + 1) / (4 + 4 + 2 + 4 + 4), t.saturation(), 0);
        assertTrue(Double.isNaN(t.attentionEntropy()), "no attention ran");
    }

    @Test
    void seesNothingOutsideItsScope() {
        ActivationTally t = new ActivationTally();
        try (GradMode.Scope s = ActivationObserver.observe(t)) {
            F.relu(v(1f, -1f));
        }
        F.relu(v(-1f, -1f, -1f, -1f));
        assertEquals(0.5, t.deadRelu(), 0);
    }

    /** qkv (1, T, 3) with one head of size 1: q, k, v per position. */
    private static Variable qkv(float[] q, float[] k) {
        int t = q.length;
        float[] x = new float[3 * t];
        for (int i = 0; i < t; i++) {
            x[3 * i] = q[i];
            x[3 * i + 1] = k[i];
            x[3 * i + 2] = i;
        }
        return Variable.param(Tensor.of(x, 1, t, 3));
    }

    @Test
    void uniformAttentionHasEntropyOneAndOneHotZero() {
        int t = 6;
        ActivationTally uniform = new ActivationTally();
        try (GradMode.Scope s = ActivationObserver.observe(uniform)) {
            F.causalSelfAttention(qkv(new float[t], new float[t]), 1);     // all scores equal
        }
        assertEquals(1.0, uniform.attentionEntropy(), 1e-6);

        float[] q = new float[t];
        float[] k = new float[t];
        Arrays.fill(q, 100f);
        k[0] = 100f;                                                      // key 0 wins every row by e^10000
        ActivationTally oneHot = new ActivationTally();
        try (GradMode.Scope s = ActivationObserver.observe(oneHot)) {
            F.causalSelfAttention(qkv(q, k), 1);
        }
        assertEquals(0.0, oneHot.attentionEntropy(), 1e-6);
    }

    @Test
    void twoKeysAtOneToThreeGiveTheBinaryEntropyOverLogTwo() {
        // rows: i = 1 over keys {0, 1} with scores q1 k0 = 0 and q1 k1 = ln 3: p = (1/4, 3/4)
        float ln3 = (float) Math.log(3);
        ActivationTally t = new ActivationTally();
        try (GradMode.Scope s = ActivationObserver.observe(t)) {
            F.causalSelfAttention(qkv(new float[] {0f, 1f}, new float[] {0f, ln3}), 1);
        }
        double h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) / Math.log(2);
        assertEquals(h, t.attentionEntropy(), 1e-6);
    }
}
