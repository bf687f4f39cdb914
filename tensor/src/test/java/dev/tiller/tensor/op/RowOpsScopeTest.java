package dev.tiller.tensor.op;

import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row ops inside a TensorScope backed by a TensorPool, on strided inputs and with null weights: temporaries
 * they close early go back to the pool, and reuse of those buffers must not change any result.
 */
class RowOpsScopeTest {

    private static float[][] runAll(Tensor x, Tensor q) {
        Tensor xt = x.t();                                        // (C, R) strided view
        Norm.LayerNormResult ln = Norm.layerNorm(xt, null, null, 1e-5f);
        Norm.LayerNormGrads lg = Norm.layerNormBackward(xt, xt, ln.mean(), ln.rstd(), null);
        Norm.RmsNormResult rn = Norm.rmsNorm(xt, null, 1e-5f);
        Tensor sm = Softmax.softmax(xt, 0);
        Tensor ls = Softmax.logSoftmaxBackward(Softmax.logSoftmax(xt, 0), xt, 0);
        Tensor x4 = x.reshape(2, 3, 5, 7);
        Norm.BatchNormResult bn = Norm.batchNorm2d(x4.transpose(2, 3), null, null, null, null, 0.1f, 1e-5f);
        Tensor emb = Embedding.embedding(xt, Tensor.ofInts(new int[] {1, 0, 6, 6}, 2, 2));
        Attention.AttentionResult at = Attention.causalAttention(q.transpose(1, 2), q.transpose(1, 2),
                q.transpose(1, 2));
        return new float[][] {ln.out().toFloatArray(), lg.dX().toFloatArray(), lg.dW().toFloatArray(),
            rn.out().toFloatArray(), sm.toFloatArray(), ls.toFloatArray(), bn.out().toFloatArray(),
            emb.toFloatArray(), at.out().toFloatArray()};
    }

    @Test
    void opsGiveTheSameResultsInsideAPooledScope() {
        Tensor x = TestData.uniform(201, -2f, 2f, 30, 7);
        Tensor q = TestData.uniform(202, -1f, 1f, 2, 9, 3, 4);     // (B, T, H, hs): transposed to (B, H, T, hs)
        float[][] outside = runAll(x, q);
        try (TensorPool pool = new TensorPool()) {
            for (int round = 0; round < 3; round++) {
                float[][] inside;
                try (TensorScope scope = TensorScope.open(pool)) {
                    inside = runAll(x, q);
                }
                for (int k = 0; k < outside.length; k++) {
                    assertTrue(TestData.bitwiseEqual(outside[k], inside[k]), "output " + k + " round " + round);
                }
            }
        }
    }
}
