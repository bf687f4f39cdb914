package dev.tiller.policy;

import dev.tiller.autograd.Autocast;
import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.MixedPrecision;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Sgd;
import dev.tiller.optim.SgdHyper;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.policy.task.GraphTask;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Precision;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixedPrecisionTest {
    @Test
    void castRoundsToBf16AndRestoreBringsBackTheMastersBitwise() {
        Tensor w = Tensor.uniform(1, 0, -1f, 1f, 5, 7);
        float[] before = w.toFloatArray();
        ParamRef p = new ParamRef("w", w, Tensor.zeros(5, 7));
        MixedPrecision mp = new MixedPrecision(List.of(p), DType.BF16);
        mp.castWeights();
        float[] cast = w.toFloatArray();
        for (int i = 0; i < cast.length; i++) {
            assertEquals(Precision.fromBf16(Precision.toBf16(before[i])), cast[i]);
        }
        mp.restoreMasters();
        assertArrayEquals(before, w.toFloatArray());
    }

    @Test
    void smallUpdatesAccumulateInTheFloat32Masters() {
        // w = 1 and ten SGD steps of 1e-4 each: bf16 spacing at 1 is 2^-7 = 7.8e-3, so a bf16 weight would never
        // move, while the float32 master reaches 1 - 1e-3.
        Tensor w = Tensor.ones(1);
        Tensor g = Tensor.ones(1);
        ParamRef p = new ParamRef("w", w, g);
        MixedPrecision mp = new MixedPrecision(List.of(p), DType.BF16);
        Sgd sgd = new Sgd(List.of(p));
        for (int i = 0; i < 10; i++) {
            mp.castWeights();
            mp.restoreMasters();
            sgd.step(SgdHyper.of(1e-4f));
        }
        assertEquals(1f - 1e-3f, w.getFloat(0), 1e-6f);
    }

    @Test
    void autocastRoundsProductsButKeepsSoftmaxAndParametersInFloat32() {
        Variable a = Variable.param(Tensor.uniform(2, 0, -1f, 1f, 3, 4));
        Variable b = Variable.param(Tensor.uniform(3, 0, -1f, 1f, 4, 5));
        float[] bBefore = b.value().toFloatArray();
        float[] prod;
        float[] soft;
        try (GradMode.Scope s = Autocast.enable(DType.BF16)) {
            Variable m = F.matmul(a, F.transpose(F.transpose(b, 0, 1), 0, 1));   // views of a parameter
            prod = m.value().toFloatArray();
            soft = F.softmax(m, -1).value().toFloatArray();
        }
        for (float v : prod) {
            assertEquals(Precision.fromBf16(Precision.toBf16(v)), v, "matmul output is bf16-representable");
        }
        boolean someNotBf16 = false;
        for (float v : soft) {
            someNotBf16 |= Precision.fromBf16(Precision.toBf16(v)) != v;
        }
        assertTrue(someNotBf16, "softmax keeps float32 outputs");
        assertArrayEquals(bBefore, b.value().toFloatArray(), "views of a parameter are never rounded in place");
    }

    @Test
    void bf16AndF16RunsLearnAndF16LogsItsLossScale(@TempDir Path dir) throws IOException {
        for (DType d : new DType[] {DType.BF16, DType.F16}) {
            GraphTask task = new GraphTask(GraphDataset.stochasticBlockModel(2, 90, 3, 0.2, 0.01, 6, 0.4), 12, 2, 2);
            List<ParamRef> params = Trainer.paramRefs(task);
            AdamWHyper h = new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, false);
            Trainer<AdamWHyper> t = new Trainer<>(task, new AdamW(params), params, s -> h, KnobBinding.adamW(),
                    GlobalNormClip.l2(1f), new Trainer.Settings(30, 1, 0, d));
            Path run = dir.resolve(d.shortName());
            try (RunLog log = new RunLog(run, Map.of())) {
                t.run(log, null);
            }
            List<String> rows = Files.readAllLines(run.resolve("metrics.jsonl"));
            double first = Double.parseDouble(rows.get(0).replaceAll(".*\"train_loss\":([^,}]*).*", "$1"));
            double last = Double.parseDouble(rows.get(29).replaceAll(".*\"train_loss\":([^,}]*).*", "$1"));
            assertTrue(last < 0.7 * first, d + ": loss " + first + " -> " + last);
            assertEquals(d == DType.F16, rows.get(0).contains("\"loss_scale\":65536"), rows.get(0));
        }
    }
}
