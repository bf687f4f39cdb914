package dev.tiller.models;

import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ByteWindows;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.Gpt;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GptTest {
    private static final GptConfig TINY = new GptConfig(256, 16, 32, 2, 4, 0f);

    @Test
    void parametersHaveHierarchicalNamesAndTheReferenceCount() {
        Gpt g = new Gpt(GptConfig.reference(), 1);
        Map<String, Variable> p = g.namedParameters();
        assertTrue(p.containsKey("blocks.0.attn.qkv.weight"), p.keySet().toString());
        assertTrue(p.containsKey("blocks.3.mlp.out.bias"));
        assertArrayEquals(new int[] {256, 256}, p.get("head.weight").shape());
        // V*C + T*C + L*(12 C^2 + 13 C) + 2C + V*C with V=256, T=128, C=256, L=4 (the reference GPT)
        long c = 256;
        long expect = 256 * c + 128 * c + 4 * (12 * c * c + 13 * c) + 2 * c + 256 * c;
        assertEquals(expect, g.parameterCount());
        assertTrue(g.decayed().contains("blocks.0.attn.qkv.weight"));
        assertFalse(g.decayed().contains("blocks.0.attn.qkv.bias"));
        assertFalse(g.decayed().contains("blocks.0.ln1.weight"));
        // "decay on matrices only": every rank-2 parameter, the embedding tables included (nanoGPT's rule)
        g.namedParameters().forEach((name, v) -> assertEquals(v.value().rank() >= 2, g.decayed().contains(name), name));
    }

    @Test
    void theInitialLossIsNearUniformAndGradientsReachEveryParameter() {
        Gpt g = new Gpt(TINY, 7);
        int[] ids = new int[2 * 16];
        int[] next = new int[2 * 16];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37) % 256;
            next[i] = (i * 37 + 11) % 256;
        }
        Variable loss = g.loss(Tensor.ofInts(ids, 2, 16), Tensor.ofInts(next, 2, 16));
        // PyTorch's default init gives logits of order 1, so the loss is ln(256) = 5.55 give or take ~1
        assertTrue(Math.abs(loss.value().item() - Math.log(256)) < 1.5, "loss " + loss.value().item());
        loss.backward();
        for (Map.Entry<String, Variable> e : g.namedParameters().entrySet()) {
            assertNotNull(e.getValue().grad(), e.getKey() + " got no gradient");
        }
    }

    @Test
    void theSameSeedGivesTheSameModelBitwise() {
        float[] a = new Gpt(TINY, 3).namedParameters().get("blocks.1.mlp.fc.weight").value().toFloatArray();
        float[] b = new Gpt(TINY, 3).namedParameters().get("blocks.1.mlp.fc.weight").value().toFloatArray();
        assertArrayEquals(a, b);
    }

    @Test
    void badShapesAreRejectedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GptConfig(256, 16, 30, 1, 4, 0f));
        assertTrue(e.getMessage().contains("divisible"), e.getMessage());
        Gpt g = new Gpt(TINY, 1);
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> g.forward(Tensor.ofInts(new int[17], 1, 17)));
        assertTrue(t.getMessage().contains("exceeds the context 16"), t.getMessage());
    }

    @Test
    void jdkUtilSplitsByFileIndex() {
        TextCorpus c = TextCorpus.jdkUtil();
        assertTrue(c.files() > 300, "files " + c.files());
        // about one file in ten is validation; file sizes vary, so allow 5% .. 20% of the bytes
        double share = (double) c.validation().length / (c.train().length + c.validation().length);
        assertTrue(share > 0.05 && share < 0.2, "validation share " + share);
        String head = new String(c.validation(), 0, 200, StandardCharsets.UTF_8);
        assertTrue(head.contains("Copyright") || head.contains("package"), head);
    }

    @Test
    void byteWindowsAreRecomputableAndShifted() {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        ByteWindows w = new ByteWindows(data, 4, 8, 42, 1);
        ByteWindows.Batch b = w.batch(17);
        assertArrayEquals(b.inputs().toIntArray(), w.batch(17).inputs().toIntArray());
        int[] in = b.inputs().toIntArray();
        int[] tg = b.targets().toIntArray();
        for (int i = 0; i < in.length; i++) {
            assertEquals((in[i] + 1) & 0xff, tg[i]);    // data[i] = i mod 256, so targets are inputs + 1
        }
    }
}
