package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.tiller.tensor.op.RowOpSupport.U;
import static dev.tiller.tensor.op.RowOpSupport.assertClose;
import static dev.tiller.tensor.op.RowOpSupport.finiteDiff;
import static dev.tiller.tensor.op.RowOpSupport.uniform;
import static dev.tiller.tensor.op.RowOpSupport.withThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Embedding gather and its deterministic scatter-add gradient. */
class EmbeddingTest {

    @Test
    void gatherAndScatterGolden() {
        // weight rows: 0 -> (0, 1), 1 -> (2, 3), 2 -> (4, 5); indices ((2, 0), (1, 2))
        Tensor weight = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 3, 2);
        Tensor idx = Tensor.ofLongs(new long[] {2, 0, 1, 2}, 2, 2);
        Tensor out = Embedding.embedding(weight, idx);
        assertArrayEquals(new int[] {2, 2, 2}, out.shape());
        assertArrayEquals(new float[] {4, 5, 0, 1, 2, 3, 4, 5}, out.toFloatArray());
        // dOut rows 1, 10, 100, 1000 (both columns): row 2 receives 1 + 1000, row 0 gets 10, row 1 gets 100,
        // row 3 (in a vocabulary of 4) nothing
        Tensor dOut = Tensor.of(new float[] {1, 1, 10, 10, 100, 100, 1000, 1000}, 2, 2, 2);
        assertArrayEquals(new float[] {10, 10, 100, 100, 1001, 1001, 0, 0},
                Embedding.embeddingBackward(dOut, idx, 4).toFloatArray());
    }

    @Test
    void embeddingMatchesReferenceForAnyIndexShapeAndDtype() {
        qt().withFixedSeed(131L).withExamples(60)
                .forAll(integers().between(1, 30), integers().between(0, 70), integers().between(0, 40), longs().all())
                .checkAssert((vocab, cols, count, seed) -> {
                    float[] w = uniform(seed, vocab * cols, -1f, 1f);
                    int[] idx = new int[count];
                    for (int p = 0; p < count; p++) {
                        idx[p] = (int) ((seed >>> (p % 40)) & 0xffff) % vocab;
                    }
                    Tensor weight = Tensor.of(w, vocab, cols);
                    Tensor i32 = Tensor.ofInts(idx, count);
                    float[] out = Embedding.embedding(weight, i32).toFloatArray();
                    for (int p = 0; p < count; p++) {
                        for (int c = 0; c < cols; c++) {
                            assertTrue(out[p * cols + c] == w[idx[p] * cols + c], "gather p=" + p + " c=" + c);
                        }
                    }
                    long[] asLong = new long[count];
                    for (int p = 0; p < count; p++) {
                        asLong[p] = idx[p];
                    }
                    Tensor i64 = Tensor.ofLongs(asLong, count);
                    assertArrayEquals(out, Embedding.embedding(weight, i64).toFloatArray());
                    float[] g = uniform(seed + 1, count * cols, -1f, 1f);
                    float[] dW = Embedding.embeddingBackward(Tensor.of(g, count, cols), i32, vocab).toFloatArray();
                    double[] ref = new double[vocab * cols];
                    double[] abs = new double[vocab * cols];
                    int[] hits = new int[vocab];
                    for (int p = 0; p < count; p++) {
                        hits[idx[p]]++;
                        for (int c = 0; c < cols; c++) {
                            ref[idx[p] * cols + c] += g[p * cols + c];
                            abs[idx[p] * cols + c] += Math.abs(g[p * cols + c]);
                        }
                    }
                    for (int k = 0; k < ref.length; k++) {
                        // a float sum of hits terms: hits * u * sum|terms|
                        double bound = hits[k / Math.max(cols, 1)] * U * abs[k];
                        assertTrue(Math.abs(dW[k] - ref[k]) <= bound, "dW k=" + k + " ref=" + ref[k] + " got=" + dW[k]);
                    }
                    assertArrayEquals(dW, Embedding.embeddingBackward(Tensor.of(g, count, cols), i64, vocab)
                            .toFloatArray());
                });
    }

    @Test
    void embeddingBackwardMatchesFiniteDifferences() {
        int vocab = 5;
        int cols = 3;
        Tensor idx = Tensor.ofInts(new int[] {4, 1, 4, 0, 1, 4}, 2, 3);
        float[] w = uniform(141, vocab * cols, -1f, 1f);
        float[] r = uniform(142, 6 * cols, -1f, 1f);
        float[] dW = Embedding.embeddingBackward(Tensor.of(r, 2, 3, cols), idx, vocab).toFloatArray();
        // the loss is linear in the weight: FD is exact up to float noise u * sum|out r| / h ~ 1e-5
        double[] fd = finiteDiff(w, v -> Embedding.embedding(Tensor.of(v, vocab, cols), idx).toFloatArray(), r, 1e-2f);
        assertClose(fd, dW, 5e-5, 1e-4, "embedding FD");
    }

    @Test
    void backwardIsBitwiseIdenticalForOneTwoAndFourThreads() {
        int vocab = 1000;                             // 16 vocabulary chunks of 64 rows
        int cols = 24;
        int count = 5000;
        int[] idx = new int[count];
        for (int p = 0; p < count; p++) {
            idx[p] = (int) ((p * 2654435761L) % 997);   // many repeats
        }
        Tensor indices = Tensor.ofInts(idx, 50, 100);
        Tensor dOut = TestData.uniform(151, -1f, 1f, 50, 100, cols);
        Tensor weight = TestData.uniform(152, -1f, 1f, vocab, cols);
        float[][] base = null;
        for (int threads : new int[] {1, 2, 4}) {
            float[][] got = withThreads(threads, () -> new float[][] {
                Embedding.embeddingBackward(dOut, indices, vocab).toFloatArray(),
                Embedding.embedding(weight, indices).toFloatArray()});
            if (base == null) {
                base = got;
            } else {
                for (int k = 0; k < base.length; k++) {
                    assertTrue(TestData.bitwiseEqual(base[k], got[k]), "output " + k + " at " + threads + " threads");
                }
            }
        }
    }

    @Test
    void badIndicesAndShapesAreRejected() {
        Tensor weight = Tensor.zeros(10, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.embedding(weight, Tensor.ofInts(new int[] {3, 9, 10, 2}, 2, 2)));
        assertTrue(e.getMessage().contains("embedding") && e.getMessage().contains("index 10 at position 2")
                && e.getMessage().contains("10 rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.embedding(weight, Tensor.ofLongs(new long[] {-1}, 1)));
        assertTrue(e.getMessage().contains("index -1 at position 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.embeddingBackward(Tensor.zeros(3, 4), Tensor.ofInts(new int[] {0, 12, 1}, 3), 10));
        assertTrue(e.getMessage().contains("embeddingBackward") && e.getMessage().contains("index 12 at position 1"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.embeddingBackward(Tensor.zeros(2, 4), Tensor.ofInts(new int[] {0, 1, 2}, 3), 10));
        assertTrue(e.getMessage().contains("dOut=(2, 4)") && e.getMessage().contains("indices=(3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Embedding.embedding(weight, Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("i32 or i64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.embedding(Tensor.zeros(DType.I32, 3, 2), Tensor.ofInts(new int[] {0}, 1)));
        assertTrue(e.getMessage().contains("f32"), e.getMessage());
    }
}
