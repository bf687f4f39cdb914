package dev.tiller.models;

import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.arch.ConvNet;
import dev.tiller.models.arch.Gcn;
import dev.tiller.models.arch.Mlp;
import dev.tiller.models.arch.ResNet;
import dev.tiller.models.data.GraphDataset;
import dev.tiller.models.data.Idx;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Module;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitecturesTest {
    private static void assertAllParamsGetGradients(Module m, Variable loss) {
        loss.backward();
        m.namedParameters().forEach((k, v) -> assertNotNull(v.grad(), k + " got no gradient"));
    }

    @Test
    void mlpConvNetAndResNetMapImagesToLogits() {
        ImageDataset d = Shapes.make(1, 0, 4, 16);
        ImageDataset.Batch b = d.slice(0, 4);
        Mlp mlp = new Mlp(new Init(1), 256, Mlp.scaled(new int[] {32, 32}, 0.5, 1), 4, Activation.RELU);
        Variable y = mlp.forward(Variable.constant(b.inputs()));
        assertArrayEquals(new int[] {4, 4}, y.shape());
        assertAllParamsGetGradients(mlp, F.crossEntropy(y, b.labels()));

        ConvNet cnn = new ConvNet(new Init(2), 1, 16, 16, 4, 0.25);
        Variable z = cnn.forward(Variable.constant(b.inputs()));
        assertArrayEquals(new int[] {4, 4}, z.shape());
        assertAllParamsGetGradients(cnn, F.crossEntropy(z, b.labels()));

        ResNet res = new ResNet(new Init(3), 1, 4, 0.5, 1);
        Variable r = res.forward(Variable.constant(b.inputs()));
        assertArrayEquals(new int[] {4, 4}, r.shape());
        assertAllParamsGetGradients(res, F.crossEntropy(r, b.labels()));
        assertTrue(res.namedParameters().containsKey("stages.1.0.down.weight"));
    }

    @Test
    void aGcnLearnsTheCommunitiesOfAStochasticBlockModel() {
        GraphDataset g = GraphDataset.stochasticBlockModel(5, 120, 3, 0.2, 0.01, 8, 0.3);
        Gcn gcn = new Gcn(new Init(9), 8, 16, 3, 2);
        Tensor x = Tensor.of(g.features(), g.nodes(), 8);
        Tensor y = Tensor.ofInts(g.labels(), g.nodes());
        for (int step = 0; step < 150; step++) {
            gcn.zeroGrad();
            F.crossEntropy(gcn.forward(g.adjacency(), Variable.constant(x)), y).backward();
            gcn.namedParameters().values().forEach(p -> Binary.addInto(p.value(), p.grad(), -0.2f));   // p -= lr g
        }
        float[] logits;
        try (GradMode.Scope s = GradMode.noGrad()) {
            logits = gcn.forward(g.adjacency(), Variable.constant(x)).value().toFloatArray();
        }
        int correct = 0;
        for (int i = 0; i < g.nodes(); i++) {
            int best = 0;
            for (int c = 1; c < 3; c++) {
                if (logits[i * 3 + c] > logits[i * 3 + best]) {
                    best = c;
                }
            }
            correct += best == g.labels()[i] ? 1 : 0;
        }
        // features alone carry a weak signal (0.5 sigma); with 24 in-community neighbours on average the graph
        // averaging makes the classes nearly separable, so a 2-layer GCN should get well above chance (1/3)
        assertTrue(correct > 0.8 * g.nodes(), "accuracy " + correct + "/" + g.nodes());
    }

    @Test
    void idxFilesReadBackPlainAndGzipped(@TempDir Path dir) throws IOException {
        byte[] pixels = new byte[2 * 3 * 2];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 20);
        }
        writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), true, new int[] {2, 3, 2}, pixels);
        writeIdx(dir.resolve("train-labels-idx1-ubyte"), false, new int[] {2}, new byte[] {7, 1});
        ImageDataset d = ImageDataset.idx("tiny", dir, "train", 10);
        assertEquals(2, d.size());
        assertEquals(3, d.height());
        assertEquals(2, d.width());
        assertEquals(220f / 255f, d.images()[11], 1e-7f);
        assertArrayEquals(new int[] {7, 1}, d.labels());
        Path bad = dir.resolve("bad");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.read(bad));
        assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());
    }

    @Test
    void anIdxHeaderClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating(@TempDir Path dir) throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            Path p = dir.resolve(gzip ? "liar.gz" : "liar");
            writeIdx(p, gzip, new int[] {1_000_000, 28, 28}, new byte[7800]);   // 784 MB claimed, 7.8 KB held
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.read(p));
            assertTrue(e.getMessage().contains("claims dims [1000000, 28, 28] (784000016 bytes")
                    && e.getMessage().contains("the file holds"), e.getMessage());
        }
        Path two = dir.resolve("two");
        writeIdx(two, true, new int[] {2_000_000_000, 28, 28}, new byte[10]);
        assertThrows(IllegalArgumentException.class, () -> Idx.read(two));
    }

    private static void writeIdx(Path p, boolean gzip, int[] dims, byte[] data) throws IOException {
        try (OutputStream raw = Files.newOutputStream(p);
             OutputStream o = gzip ? new GZIPOutputStream(raw) : raw;
             DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(0x0800 | dims.length);
            for (int x : dims) {
                d.writeInt(x);
            }
            d.write(data);
        }
    }

    @Test
    void shapesAreReproducibleAndCoverEveryClass() {
        ImageDataset a = Shapes.make(4, 100, 64, 12);
        ImageDataset b = Shapes.make(4, 100, 64, 12);
        assertArrayEquals(a.images(), b.images());
        int[] counts = new int[Shapes.CLASSES];
        for (int y : a.labels()) {
            counts[y]++;
        }
        for (int c : counts) {
            assertTrue(c > 5, Arrays.toString(counts));
        }
        // batches of an epoch are a permutation: every example appears once
        ImageDataset.Batch all = a.batch(1, 0, 0, 64);
        int[] seen = new int[Shapes.CLASSES];
        for (int y : all.labels().toIntArray()) {
            seen[y]++;
        }
        assertArrayEquals(counts, seen);
    }
}
