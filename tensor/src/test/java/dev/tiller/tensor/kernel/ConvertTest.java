package dev.tiller.tensor.kernel;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Precision;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ref.RefConvert;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Convert's bulk kernels are bitwise equal to Precision's scalar definitions (the stochastic rounding of optimizer
 * state over whole tensors is tested with its user, optim's StochasticBf16Test).
 */
class ConvertTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;

    /** NaNs (quiet, signalling, negative, max payload), infinities, zeros, subnormals, extremes and RNE ties. */
    private static final int[] SPECIAL_BITS = {
        0x7fc00000, 0x7f800001, 0xffc00001, 0x7fffffff, 0xff800001, 0x7f80ffff,
        0x7f800000, 0xff800000, 0x00000000, 0x80000000,
        0x00000001, 0x80000001, 0x007fffff, 0x00008000, 0x00018000, 0x00800000,
        0x7f7fffff, 0xff7fffff, 0x7f7f7fff, 0x7f7f8000,
        0x3f808000,                 // tie between 0x3f80 and 0x3f81: to even, 0x3f80
        0x3f818000,                 // tie between 0x3f81 and 0x3f82: to even, 0x3f82
        0x3f807fff, 0x3f808001, 0xbf808000, 0x3f7fbe77 /* 0.999f */, 0x3f800000,
    };

    @Test
    void f32ToBf16IsBitwisePrecisionOnSpecialValuesInEveryLaneAndTail() {
        int n = 3 * 64 + 5;
        try (Arena arena = Arena.ofConfined()) {
            for (int shift = 0; shift < 17; shift++) {      // every special lands in every lane position and tail
                MemorySegment src = arena.allocate(4L * n);
                for (int i = 0; i < n; i++) {
                    src.setAtIndex(I32, i, SPECIAL_BITS[(i + shift) % SPECIAL_BITS.length]);
                }
                MemorySegment dst = arena.allocate(2L * n);
                Convert.f32ToBf16(src, 0, dst, 0, n);
                for (int i = 0; i < n; i++) {
                    short want = Precision.toBf16(src.getAtIndex(F32, i));
                    assertEquals(want, dst.getAtIndex(I16, i),
                            "bits " + Integer.toHexString(src.getAtIndex(I32, i)));
                }
            }
            assertEquals((short) 0x3f80, Precision.toBf16(Float.intBitsToFloat(0x3f808000)), "tie to even");
            assertEquals((short) 0x3f82, Precision.toBf16(Float.intBitsToFloat(0x3f818000)), "tie to even");
        }
    }

    @Test
    void f32ToBf16AndF16AreBitwisePrecisionOnRandomBits() {
        qt().withFixedSeed(99L).withExamples(200)
                .forAll(integers().between(0, 300), integers().between(0, 7), longs().all())
                .checkAssert((n, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment src = arena.allocate(4L * (n + off) + 4);
                        for (int i = 0; i < n + off; i++) {
                            src.setAtIndex(I32, i, Philox.bits(seed, 1, i));   // every exponent, sign and payload
                        }
                        MemorySegment a = arena.allocate(2L * n + 2);
                        MemorySegment b = arena.allocate(2L * n + 2);
                        Convert.f32ToBf16(src, off, a, 1, n);
                        RefConvert.f32ToBf16(src, off, b, 1, n);
                        assertEquals(-1L, a.mismatch(b), "bf16 n=" + n);
                        Convert.f32ToF16(src, off, a, 1, n);
                        RefConvert.f32ToF16(src, off, b, 1, n);
                        assertEquals(-1L, a.mismatch(b), "f16 n=" + n);
                    }
                });
    }

    @Test
    void sixteenBitToF32IsBitwisePrecisionForAll65536Patterns() {
        int n = 65536 + 3;                       // plus a tail
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * n);
            for (int i = 0; i < n; i++) {
                src.setAtIndex(I16, i, (short) i);
            }
            MemorySegment dst = arena.allocate(4L * n);
            Convert.bf16ToF32(src, 0, dst, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(Precision.fromBf16((short) i)), dst.getAtIndex(I32, i));
            }
            Convert.f16ToF32(src, 0, dst, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(Precision.fromF16((short) i)), dst.getAtIndex(I32, i));
            }
        }
    }

    @Test
    void stochasticKernelIsBitwiseTwinForAnyStartIndex() {
        qt().withFixedSeed(5L).withExamples(200)
                .forAll(integers().between(0, 200), integers().between(0, 9), longs().all())
                .checkAssert((n, index0, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment src = arena.allocate(4L * n + 4);
                        for (int i = 0; i < n; i++) {
                            int bits = Philox.bits(seed, 2, i);
                            src.setAtIndex(I32, i, (i & 7) == 0 ? SPECIAL_BITS[i % SPECIAL_BITS.length] : bits);
                        }
                        MemorySegment a = arena.allocate(2L * n + 2);
                        MemorySegment b = arena.allocate(2L * n + 2);
                        Convert.f32ToBf16Stochastic(src, 0, a, 0, n, seed, 3, index0);
                        RefConvert.f32ToBf16Stochastic(src, 0, b, 0, n, seed, 3, index0);
                        assertEquals(-1L, a.mismatch(b), "n=" + n + " index0=" + index0);
                    }
                });
    }

    @Test
    void beta2Of0999RoundsToOneInBf16() {
        // Documented pitfall: 0.999f = 0x3f7fbe77 lies between bf16 0x3f7f (0.99609375) and 0x3f80 (1.0) and is
        // nearer 1.0, so an Adam beta2 stored in bf16 becomes 1 and 1 - beta2 = 0: keep hyperparameters in f32.
        assertEquals(1.0f, Precision.fromBf16(Precision.toBf16(0.999f)));
        try (Tensor b = Tensor.full(0.999f, 9); Tensor h = b.to(DType.BF16)) {
            for (float f : h.toFloatArray()) {
                assertEquals(1.0f, f);
            }
        }
    }

    @Test
    void tensorConversionsUseKernelsAndAgreeWithElementPath() {
        // contiguous copies take the bulk kernel; a transposed view takes Tensor's per-element path: same bits
        try (Tensor x = Tensor.uniform(3, 4, -70000f, 70000f, 37, 29)) {
            for (DType t : new DType[] {DType.BF16, DType.F16}) {
                Tensor fast = x.to(t);
                Tensor slow = x.t().to(t);
                Tensor back = fast.to(DType.F32);
                for (int i = 0; i < 37; i += 5) {
                    for (int j = 0; j < 29; j += 3) {
                        assertEquals(slow.getFloat(j, i), fast.getFloat(i, j));
                        float want = t == DType.BF16 ? Precision.fromBf16(Precision.toBf16(x.getFloat(i, j)))
                                : Precision.fromF16(Precision.toF16(x.getFloat(i, j)));
                        assertEquals(want, back.getFloat(i, j));
                    }
                }
                fast.close();
                slow.close();
                back.close();
            }
        }
    }
}
