package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-tensor norm clipping and value clipping against hand-derived values. */
class PerTensorAndValueClipTest {
    @Test
    void perTensorClipsEachTensorToItsOwnNorm() {
        // [3, 4] has norm 5 <= 6: unchanged. [12] has norm 12: times 6 / (12 + 1e-6).
        List<ParamRef> ps = Grads.of(new float[] {3f, 4f}, new float[] {12f});
        ClipReport r = new PerTensorNormClip(6f, 2.0).clip(ps);
        float c = 6f / (12f + 1e-6f);
        assertArrayEquals(new float[] {3f, 4f}, ps.get(0).grad().toFloatArray());
        assertArrayEquals(new float[] {12f * c}, ps.get(1).grad().toFloatArray());
        assertEquals(12.0, r.norm());
        assertEquals(c, (float) r.scale());
        assertTrue(r.clipped());
    }

    @Test
    void perTensorLeavesEverythingWhenOneTensorIsNotFinite() {
        List<ParamRef> ps = Grads.of(new float[] {30f, 40f}, new float[] {Float.POSITIVE_INFINITY});
        float[][] before = Grads.snapshot(ps);
        ClipReport r = new PerTensorNormClip(1f, 2.0).clip(ps);
        assertFalse(r.finite());
        assertTrue(Grads.bitwiseEqual(before, Grads.snapshot(ps)));
    }

    @Test
    void valueClipClampsEachElement() {
        // clamp to [-0.5, 0.5]; max|g| = 2, so the smallest element multiplier is 0.5 / 2 = 0.25
        List<ParamRef> ps = Grads.of(new float[] {0.2f, -2f, 0.5f}, new float[] {-0.7f, 0f});
        ClipReport r = new ValueClip(0.5f).clip(ps);
        assertArrayEquals(new float[] {0.2f, -0.5f, 0.5f}, ps.get(0).grad().toFloatArray());
        assertArrayEquals(new float[] {-0.5f, 0f}, ps.get(1).grad().toFloatArray());
        assertEquals(2.0, r.norm());
        assertEquals(0.25, r.scale());
        assertTrue(r.clipped());
    }

    @Test
    void valueClipDoesNotHideAnInfinity() {
        // PyTorch would clamp inf to 0.5; here the overflow stays visible.
        List<ParamRef> ps = Grads.of(new float[] {Float.NEGATIVE_INFINITY, 3f});
        ClipReport r = new ValueClip(0.5f).clip(ps);
        assertFalse(r.finite());
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, 3f}, ps.get(0).grad().toFloatArray());
    }

    @Test
    void valueClipWithinRangeChangesNothing() {
        List<ParamRef> ps = Grads.of(new float[] {0.1f, -0.3f});
        ClipReport r = new ValueClip(0.3f).clip(ps);
        assertFalse(r.clipped());
        assertArrayEquals(new float[] {0.1f, -0.3f}, ps.get(0).grad().toFloatArray());
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> new ValueClip(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> new PerTensorNormClip(Float.POSITIVE_INFINITY, 2.0));
        assertThrows(IllegalArgumentException.class, () -> new PerTensorNormClip(1f, Double.NaN));
    }
}
