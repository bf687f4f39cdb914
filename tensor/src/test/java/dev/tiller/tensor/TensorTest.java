package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

class TensorTest {
    private static float[] arange(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    @Test
    void viewsWithNoElementsReshapeAndCopy() {
        // a permuted view of zero elements has strides no fresh tensor has; reshape once copied it again forever
        Tensor empty = Tensor.zeros(2, 0, 3).reshape(2, 0, 3, 1, 1).permute(2, 0, 3, 1, 4);
        assertTrue(Tensor.zeros(2, 0, 3).isContiguous());
        assertArrayEquals(new int[] {2, 1, 0, 1}, empty.slice(0, 0, 1).reshape(2, 1, 0, 1).shape());
        assertEquals(0, empty.contiguous().toFloatArray().length);
    }

    @Test
    void factoriesHoldTheirValues() {
        Tensor t = Tensor.of(arange(6), 2, 3);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertEquals(5f, t.getFloat(1, 2));
        assertTrue(t.isContiguous());
        assertArrayEquals(new float[] {0, 0, 0}, Tensor.zeros(3).toFloatArray());
        assertArrayEquals(new float[] {2.5f, 2.5f}, Tensor.full(2.5f, 2).toFloatArray());
        assertEquals(3f, Tensor.scalar(3f).item());
        assertEquals(0, Tensor.scalar(3f).rank());
        assertArrayEquals(new long[] {4, -1}, Tensor.ofLongs(new long[] {4, -1}, 2).toLongArray());
        assertArrayEquals(new int[] {1, 2, 3}, Tensor.ofInts(new int[] {1, 2, 3}, 3).toIntArray());
    }

    @Test
    void transposeIsAViewWithSwappedStrides() {
        Tensor t = Tensor.of(arange(6), 2, 3);
        Tensor tt = t.t();
        assertTrue(tt.sharesStorage(t));
        assertArrayEquals(new int[] {3, 2}, tt.shape());
        assertFalse(tt.isContiguous());
        // t = [[0,1,2],[3,4,5]] so t^T = [[0,3],[1,4],[2,5]]
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, tt.toFloatArray());
        Tensor c = tt.contiguous();
        assertTrue(c.isContiguous());
        assertFalse(c.sharesStorage(t));
    }

    @Test
    void sliceSelectAndStepsPickTheRightElements() {
        Tensor t = Tensor.of(arange(24), 2, 3, 4);
        // t[1, :, 1:4:2] = elements 12 + 4*j + {1, 3}
        Tensor s = t.select(0, 1).slice(1, 1, 4, 2);
        assertArrayEquals(new int[] {3, 2}, s.shape());
        assertArrayEquals(new float[] {13, 15, 17, 19, 21, 23}, s.toFloatArray());
        assertArrayEquals(new float[] {8, 9, 10, 11}, t.slice(1, -1, 3).reshape(-1).slice(0, 0, 4).toFloatArray());
    }

    @Test
    void expandBroadcastsWithZeroStride() {
        Tensor row = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        Tensor e = row.expand(4, 3);
        assertEquals(0, e.stride(0));
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, e.toFloatArray());
        Tensor col = Tensor.of(new float[] {1, 2}, 2).unsqueeze(1).expand(2, 2);
        assertArrayEquals(new float[] {1, 1, 2, 2}, col.toFloatArray());
        assertThrows(ShapeMismatchException.class, () -> row.expand(4, 2));
    }

    @Test
    void reshapeOfAContiguousTensorIsAViewAndInfersOneDim() {
        Tensor t = Tensor.of(arange(12), 3, 4);
        Tensor r = t.reshape(2, -1, 3);
        assertArrayEquals(new int[] {2, 2, 3}, r.shape());
        assertTrue(r.sharesStorage(t));
        Tensor nc = t.t().reshape(12);          // needs a copy: elements in transposed order
        assertFalse(nc.sharesStorage(t));
        assertEquals(4f, nc.getFloat(1));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> t.reshape(5, -1));
        assertTrue(e.getMessage().startsWith("reshape:"), e.getMessage());
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> t.t().view(12));
        assertTrue(v.getMessage().contains("hint"), v.getMessage());
    }

    @Test
    void permuteThenInverseIsTheIdentity() {
        qt().withFixedSeed(20261122L).withExamples(60)
            .forAll(integers().between(0, 4), integers().between(0, 4), integers().between(0, 4),
                    integers().between(0, 5))
            .checkAssert((a, b, c, rot) -> {
                Tensor t = Tensor.uniform(a * 31L + b * 7L + c, 1, -1f, 1f, a, b, c);
                int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
                int[] p = perms[rot];
                int[] inv = new int[3];
                for (int i = 0; i < 3; i++) {
                    inv[p[i]] = i;
                }
                Tensor back = t.permute(p).contiguous().permute(inv);
                assertArrayEquals(t.shape(), back.shape());
                assertArrayEquals(t.toFloatArray(), back.toFloatArray());
            });
    }

    @Test
    void sumIsInvariantUnderReshape() {
        qt().withFixedSeed(7L).withExamples(40)
            .forAll(integers().between(1, 6), integers().between(1, 6), integers().between(1, 6))
            .checkAssert((a, b, c) -> {
                Tensor t = Tensor.uniform(a + 10L * b + 100L * c, 2, -1f, 1f, a, b, c);
                double s1 = 0;
                for (float v : t.toFloatArray()) {
                    s1 += v;
                }
                double s2 = 0;
                for (float v : t.reshape(c, a * b).toFloatArray()) {
                    s2 += v;
                }
                assertEquals(s1, s2, 0.0);
            });
    }

    @Test
    void unsqueezeAndSqueezeRoundTrip() {
        Tensor t = Tensor.of(arange(6), 2, 3);
        Tensor u = t.unsqueeze(1);
        assertArrayEquals(new int[] {2, 1, 3}, u.shape());
        assertArrayEquals(t.toFloatArray(), u.squeeze(1).toFloatArray());
        assertArrayEquals(new int[] {2, 3, 1}, t.unsqueeze(-1).shape());
        assertThrows(IllegalArgumentException.class, () -> t.squeeze(0));
    }

    @Test
    void sizeZeroDimsAreLegal() {
        Tensor t = Tensor.zeros(0, 3);
        assertEquals(0, t.numel());
        assertEquals(0, t.toFloatArray().length);
        assertEquals(0, t.t().contiguous().numel());
        assertArrayEquals(new int[] {3, 0}, t.t().shape());
    }

    @Test
    void dtypeConversionsRoundToNearestEven() {
        // 1 + 2^-8 lies exactly between bf16 neighbours 1 and 1 + 2^-7: the tie goes to the even one, 1.
        // 1 + 3*2^-8 lies between 1 + 2^-7 and 1 + 2^-6 (tie): even mantissa is 1 + 2^-6.
        Tensor t = Tensor.of(new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 0.1f}, 3);
        float[] back = t.to(DType.BF16).toFloatArray();
        assertEquals(1f, back[0]);
        assertEquals(1f + 0x1p-6f, back[1]);
        assertEquals(Precision.fromBf16(Precision.toBf16(0.1f)), back[2]);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), t.to(DType.F16).toFloatArray()[2]);
        Tensor ints = Tensor.of(new float[] {2.9f, -2.9f}, 2).to(DType.I64);
        assertArrayEquals(new long[] {2, -2}, ints.toLongArray());   // truncation toward zero
    }

    @Test
    void usingAClosedTensorRaisesAClearError() {
        Tensor t = Tensor.zeros(2, 2);
        Tensor view = t.t();
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> view.getFloat(0, 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::toFloatArray);
        t.close();   // idempotent
        assertTrue(t.isClosed());
    }

    @Test
    void scopeClosesItsTensorsAndKeepsWhatItIsTold() {
        try (TensorPool pool = new TensorPool()) {
            Tensor kept;
            Tensor dropped;
            try (TensorScope scope = TensorScope.open(pool)) {
                dropped = Tensor.ones(4);
                kept = scope.keep(Tensor.full(2f, 4));
                assertEquals(1, scope.size());
            }
            assertTrue(dropped.isClosed());
            assertFalse(kept.isClosed());
            assertEquals(2f, kept.getFloat(3));
            kept.close();
        }
    }

    @Test
    void poolStopsReservingMemoryAfterWarmUp() {
        try (TensorPool pool = new TensorPool()) {
            long afterWarmUp = -1;
            for (int step = 0; step < 5; step++) {
                try (TensorScope scope = TensorScope.open(pool)) {
                    Tensor a = Tensor.uniform(step, 0, -1f, 1f, 64, 33);
                    Tensor b = a.t().contiguous();
                    Tensor c = b.reshape(-1).copy();
                    assertEquals(a.numel(), c.numel());
                }
                if (step == 0) {
                    afterWarmUp = pool.reservedBytes();
                }
            }
            assertEquals(afterWarmUp, pool.reservedBytes());
            assertTrue(pool.reuses() >= 12, "reuses=" + pool.reuses());
        }
    }

    @Test
    void copyFromRejectsMismatchedShapesNamingBoth() {
        Tensor a = Tensor.zeros(2, 3);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                () -> a.copyFrom(Tensor.zeros(3, 2)));
        assertTrue(e.getMessage().contains("(2, 3)") && e.getMessage().contains("(3, 2)"), e.getMessage());
    }

    @Test
    void broadcastShapesFollowNumPy() {
        assertArrayEquals(new int[] {2, 3, 4}, Shape.broadcast("add", new int[] {3, 1}, new int[] {2, 1, 4}));
        assertArrayEquals(new int[] {0, 4}, Shape.broadcast("add", new int[] {0, 1}, new int[] {4}));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                () -> Shape.broadcast("add", new int[] {2, 3}, new int[] {4}));
        assertTrue(e.getMessage().startsWith("add:") && e.getMessage().contains("(2, 3)"), e.getMessage());
    }

    @Test
    void fillOfAStridedViewTouchesOnlyTheView() {
        Tensor t = Tensor.zeros(3, 3);
        t.slice(1, 1, 2).fill(7f);        // middle column
        assertArrayEquals(new float[] {0, 7, 0, 0, 7, 0, 0, 7, 0}, t.toFloatArray());
        assertSame(t.dtype(), DType.F32);
    }
}
