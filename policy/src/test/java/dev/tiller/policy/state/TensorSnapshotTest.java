package dev.tiller.policy.state;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Snapshots of tensors are byte-exact, reuse memory of the same layout, and check layouts on restore. */
class TensorSnapshotTest {
    /** NaNs with payloads (quiet and signalling), signed zeros, a subnormal, infinities. */
    private static final int[] ODD_BITS = {0x7fc00001, 0x7fa00000, 0xffc12345, 0x80000000, 0x00000000, 0x00000001,
        0x7f800000, 0xff800000, 0x3f800000};

    private static Tensor withBits(int[] bits) {
        Tensor t = Tensor.allocate(Allocators.auto(), DType.F32, bits.length);
        for (int i = 0; i < bits.length; i++) {
            t.segment().setAtIndex(ValueLayout.JAVA_INT, i, bits[i]);
        }
        return t;
    }

    private static int[] bitsOf(Tensor t) {
        int[] out = new int[(int) t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.segment().getAtIndex(ValueLayout.JAVA_INT, t.offset() + i);
        }
        return out;
    }

    @Test
    void aRestoreGivesBackEveryBit() {
        Tensor live = withBits(ODD_BITS);
        Tensor codes = Tensor.allocate(Allocators.auto(), DType.I8, 3);
        codes.segment().set(ValueLayout.JAVA_BYTE, 1, (byte) -7);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("x", live);
        m.put("q", codes);
        try (TensorSnapshot s = TensorSnapshot.of(m)) {
            assertEquals(ODD_BITS.length * 4L + 3, s.bytes());
            live.fill(0f);
            codes.fill(0f);
            assertFalse(s.sameBits(m));
            s.restoreInto(m);
            assertArrayEquals(ODD_BITS, bitsOf(live));
            assertEquals(-7, codes.segment().get(ValueLayout.JAVA_BYTE, 1));
            assertTrue(s.sameBits(m));
        }
    }

    @Test
    void aSnapshotOfTheSameLayoutReusesTheOldOnesMemory() {
        Tensor live = withBits(ODD_BITS);
        TensorSnapshot old = TensorSnapshot.of(Map.of("x", live));
        live.fill(2f);
        TensorSnapshot again = TensorSnapshot.of(Map.of("x", live), old);
        assertSame(old, again);
        assertTrue(again.sameBits(Map.of("x", live)));
        TensorSnapshot other = TensorSnapshot.of(Map.of("y", live), again);     // another layout: a new one
        assertThrows(IllegalStateException.class, again::tensors, "the unusable one is freed");
        other.close();
    }

    @Test
    void aRestoreIntoAnotherLayoutNamesTheTensorAndWritesNothing() {
        Tensor a = withBits(ODD_BITS);
        try (TensorSnapshot s = TensorSnapshot.of(Map.of("a", a, "b", Tensor.ones(2)))) {
            Tensor wrongShape = Tensor.zeros(3);
            Tensor untouched = Tensor.zeros(ODD_BITS.length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.restoreInto(Map.of("a", untouched, "b", wrongShape)));
            assertTrue(e.getMessage().contains("'b'"), e.getMessage());
            assertEquals(0f, untouched.toFloatArray()[0]);
        }
    }
}
