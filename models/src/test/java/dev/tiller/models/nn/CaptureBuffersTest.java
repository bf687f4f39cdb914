package dev.tiller.models.nn;

import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ResNet;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * captureBuffers puts back what a training-mode forward changed: batch-norm running statistics anywhere in the tree,
 * Dropout's counter and Gpt's own dropout counter, so the next forward is the one that would have run.
 */
class CaptureBuffersTest {
    @Test
    void batchNormStatisticsComeBack() {
        ResNet m = new ResNet(new Init(1), 1, 3, 0.25, 1);
        Tensor x = Tensor.normal(1, 2, 0.5f, 2f, 4, 1, 8, 8);
        m.forward(Variable.constant(x));
        float[] before = m.forward(Variable.constant(x)).value().toFloatArray();
        m.train(false);
        float[] evalBefore = m.forward(Variable.constant(x)).value().toFloatArray();
        m.train(true);
        Runnable restore = m.captureBuffers();
        m.forward(Variable.constant(Tensor.normal(1, 3, -1f, 5f, 4, 1, 8, 8)));   // moves the running statistics
        m.train(false);
        assertNotEquals(evalBefore[0], m.forward(Variable.constant(x)).value().toFloatArray()[0]);
        restore.run();
        assertArrayEquals(evalBefore, m.forward(Variable.constant(x)).value().toFloatArray());
        m.train(true);
        assertArrayEquals(before, m.forward(Variable.constant(x)).value().toFloatArray());
    }

    @Test
    void dropoutCountersComeBack() {
        Dropout d = new Dropout(0.5f, 7, 1);
        Variable x = Variable.constant(Tensor.ones(64));
        d.forward(x);
        Runnable restore = d.captureBuffers();
        float[] next = d.forward(x).value().toFloatArray();
        assertEquals(128, d.counter());
        restore.run();
        assertEquals(64, d.counter());
        assertArrayEquals(next, d.forward(x).value().toFloatArray());

        Gpt g = new Gpt(new GptConfig(256, 8, 16, 1, 2, 0.5f), 3);
        Tensor idx = Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 8);
        Runnable back = g.captureBuffers();
        float[] first = g.forward(idx).value().toFloatArray();
        assertNotEquals(first[0], g.forward(idx).value().toFloatArray()[0], "a new mask for the second forward");
        back.run();
        assertArrayEquals(first, g.forward(idx).value().toFloatArray());
    }
}
