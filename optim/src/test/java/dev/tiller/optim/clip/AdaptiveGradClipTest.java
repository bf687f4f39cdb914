package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AGC with Optax's unit-wise norms, against hand-derived values. */
class AdaptiveGradClipTest {
    @Test
    void matrixUnitsAreColumns() {
        // W (in=2, out=2) = [[3, 0], [4, 1]]: column norms 5 and 1.
        // G = [[6, 0.1], [8, 0]]: column norms 10 and 0.1. clipping 0.5:
        //   column 0: max = 0.5 * 5 = 2.5 <= 10 -> G[:,0] * 2.5 / 10 = (1.5, 2)
        //   column 1: max = 0.5 * 1 = 0.5 > 0.1 -> unchanged
        ParamRef p = Grads.param("w", new float[] {3f, 0f, 4f, 1f}, new float[] {6f, 0.1f, 8f, 0f}, 2, 2);
        ClipReport r = new AdaptiveGradClip(0.5f, 1e-3f, null).clip(List.of(p));
        assertArrayEquals(new float[] {1.5f, 0.1f, 2f, 0f}, p.grad().toFloatArray(), 1e-7f);
        assertEquals(0.25, r.scale(), 1e-7);
        assertTrue(r.clipped());
    }

    @Test
    void zeroParametersUseEpsAsTheirNorm() {
        // W = 0 vector: max = clipping * max(0, eps) = 0.1 * 0.01 = 1e-3; G = [3e-3, 4e-3] has norm 5e-3
        // -> G * 1e-3 / 5e-3 = [6e-4, 8e-4]
        ParamRef p = Grads.param("b", new float[] {0f, 0f}, new float[] {3e-3f, 4e-3f});
        new AdaptiveGradClip(0.1f, 0.01f, null).clip(List.of(p));
        assertArrayEquals(new float[] {6e-4f, 8e-4f}, p.grad().toFloatArray(), 1e-9f);
    }

    @Test
    void rowShapedTensorIsOneUnitLikeASqueezedVector() {
        // shape (1, 2) squeezes to a vector: one unit, W norm 5, G norm 10 -> halves at clipping 1
        ParamRef p = Grads.param("r", new float[] {3f, 4f}, new float[] {6f, 8f}, 1, 2);
        new AdaptiveGradClip(1f, 1e-3f, null).clip(List.of(p));
        assertArrayEquals(new float[] {3f, 4f}, p.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void convKernelUnitsAreOutputChannels() {
        // HWIO (1, 1, 2, 2): reduce H, W, I -> units are the 2 output channels (columns of the (2, 2) view)
        ParamRef p = Grads.param("k", new float[] {3f, 0f, 4f, 1f}, new float[] {6f, 0.1f, 8f, 0f}, 1, 1, 2, 2);
        new AdaptiveGradClip(0.5f, 1e-3f, null).clip(List.of(p));
        assertArrayEquals(new float[] {1.5f, 0.1f, 2f, 0f}, p.grad().toFloatArray(), 1e-7f);
    }

    @Test
    void rank3ReducesOnlyAxisZeroAsOptaxCode() {
        // (2, 1, 2): units are the 2 positions of axes (1, 2); each sums over axis 0.
        // W = [[[3, 0]], [[4, 1]]] -> unit norms 5 and 1; G = [[[6, 0.1]], [[8, 0]]] -> 10 and 0.1; clipping 0.5
        ParamRef p = Grads.param("h", new float[] {3f, 0f, 4f, 1f}, new float[] {6f, 0.1f, 8f, 0f}, 2, 1, 2);
        new AdaptiveGradClip(0.5f, 1e-3f, null).clip(List.of(p));
        assertArrayEquals(new float[] {1.5f, 0.1f, 2f, 0f}, p.grad().toFloatArray(), 1e-7f);
    }

    @Test
    void explicitAxesOverrideTheDefaults() {
        // reduce axis 1 (rows as units): W rows [3, 0] (norm 3) and [4, 1] (norm sqrt 17);
        // G rows [6, 0.1] (norm ~6.0008) -> max 1.5: scaled by 1.5 / 6.0008; [8, 0] (norm 8) -> max 0.5 sqrt 17
        ParamRef p = Grads.param("w", new float[] {3f, 0f, 4f, 1f}, new float[] {6f, 0.1f, 8f, 0f}, 2, 2);
        new AdaptiveGradClip(0.5f, 1e-3f, new int[] {-1}).clip(List.of(p));
        float s0 = 1.5f / (float) Math.sqrt(36.01);
        float s1 = 0.5f * (float) Math.sqrt(17) / 8f;
        assertArrayEquals(new float[] {6f * s0, 0.1f * s0, 8f * s1, 0f}, p.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void rank6NeedsExplicitAxes() {
        ParamRef p = Grads.param("x", new float[64], new float[64], 2, 2, 2, 2, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdaptiveGradClip.of(0.1f).clip(List.of(p)));
        assertTrue(e.getMessage().contains("give axes explicitly"), e.getMessage());
    }

    @Test
    void nonFiniteGradientsAreLeftAlone() {
        ParamRef p = Grads.param("w", new float[] {1f, 1f}, new float[] {Float.NaN, 100f});
        ClipReport r = AdaptiveGradClip.of(0.01f).clip(List.of(p));
        assertFalse(r.finite());
        assertEquals(100f, p.grad().toFloatArray()[1]);
    }
}
