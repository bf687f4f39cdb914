package dev.tiller.tensor.kernel;

import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ref.RefOptim;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * SimdOptim against its twin RefOptim on random lengths 0..300 (crossing every vector width and tail) at
 * misaligned offsets, with random in-range hyperparameters.
 *
 * <p>Derived tolerance: zero. Each lane performs the twin's float32 operations (add, mul, div, sqrt, compare,
 * each correctly rounded by IEEE 754 and by the Vector API's lanewise contract) in the twin's order, without fused
 * multiply-add, and the tail is the twin; so the worst-case difference bound is 0 ulp and results must agree
 * bit for bit.
 */
class OptimKernelTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final long SEED = 20261122L;

    /** Random p, g, m (any sign) and v (non-negative) with n elements after off misaligned ones. */
    private record Operands(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v) {
        static Operands of(Arena arena, int n, long seed) {
            return new Operands(TestData.segment(arena, n, seed, -2f, 2f), TestData.segment(arena, n, ~seed, -3f, 3f),
                    TestData.segment(arena, n, seed * 31 + 1, -1f, 1f), TestData.segment(arena, n, seed * 17 + 5, 0f,
                    2f));
        }

        Operands copy(Arena arena, int n) {
            return new Operands(dup(arena, p, n), dup(arena, g, n), dup(arena, m, n), dup(arena, v, n));
        }

        private static MemorySegment dup(Arena arena, MemorySegment s, int n) {
            MemorySegment d = arena.allocate(Math.max(1, n) * 4L, 64);
            d.copyFrom(s.asSlice(0, n * 4L));
            return d;
        }
    }

    private static void assertSame(MemorySegment a, MemorySegment b, int n, String what) {
        for (int i = 0; i < n; i++) {
            float x = a.getAtIndex(F32, i);
            float y = b.getAtIndex(F32, i);
            int at = i;
            assertTrue(Float.floatToRawIntBits(x) == Float.floatToRawIntBits(y),
                    () -> what + "[" + at + "]: simd " + x + " twin " + y);
        }
    }

    private static void assertAll(Operands s, Operands r, int n, String what) {
        assertSame(s.p, r.p, n, what + " p");
        assertSame(s.g, r.g, n, what + " g (must be untouched)");
        assertSame(s.m, r.m, n, what + " m");
        assertSame(s.v, r.v, n, what + " v");
    }

    @Test
    void adamAndAdamwMatchTheirTwin() {
        qt().withFixedSeed(SEED).withExamples(80)
                .forAll(integers().between(0, 300), integers().between(0, 7), floats().between(0f, 0.999f),
                        longs().all())
                .checkAssert((total, off, beta, seed) -> {
                    int n = Math.max(0, total - off);
                    try (Arena arena = Arena.ofConfined()) {
                        Operands simd = Operands.of(arena, off + n, seed);
                        Operands ref = simd.copy(arena, off + n);
                        float sign = seed % 2 == 0 ? 1f : -1f;
                        float w1 = 1f - beta;                    // covers both branches of PyTorch's lerp
                        float stepSize = 1e-3f / (1f - beta);
                        SimdOptim.adamw(simd.p, off, simd.g, off, simd.m, off, simd.v, off, n, sign, 0.999f, w1,
                                0.99f, 0.01f, 1e-8f, stepSize, 0.3f);
                        RefOptim.adamw(ref.p, off, ref.g, off, ref.m, off, ref.v, off, n, sign, 0.999f, w1,
                                0.99f, 0.01f, 1e-8f, stepSize, 0.3f);
                        assertAll(simd, ref, off + n, "adamw n=" + n + " off=" + off);
                        SimdOptim.adam(simd.p, off, simd.g, off, simd.m, off, simd.v, off, n, sign, 0.01f, w1,
                                beta, 1f - beta, 1e-6f, stepSize, 0.7f);
                        RefOptim.adam(ref.p, off, ref.g, off, ref.m, off, ref.v, off, n, sign, 0.01f, w1,
                                beta, 1f - beta, 1e-6f, stepSize, 0.7f);
                        assertAll(simd, ref, off + n, "adam n=" + n + " off=" + off);
                    }
                });
    }

    @Test
    void amsgradMatchesItsTwinWithSpecialValuesInTheMaximum() {
        // vMax takes NaN, infinities and signed zeros in some lanes: the lane max must be Math.max (NaN wins,
        // +0 above -0), as the twin's is.
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, 1e30f};
        qt().withFixedSeed(SEED).withExamples(80)
                .forAll(integers().between(0, 300), integers().between(0, 7), floats().between(0f, 0.999f),
                        longs().all())
                .checkAssert((total, off, beta, seed) -> {
                    int n = Math.max(0, total - off);
                    try (Arena arena = Arena.ofConfined()) {
                        Operands simd = Operands.of(arena, off + n, seed);
                        Operands ref = simd.copy(arena, off + n);
                        MemorySegment maxS = TestData.segment(arena, off + n, seed * 7 + 3, 0f, 2f);
                        for (int i = (int) Math.floorMod(seed, 5L); i < off + n; i += 5) {
                            maxS.setAtIndex(F32, i, special[(i / 5) % special.length]);
                        }
                        MemorySegment maxR = arena.allocate(Math.max(1, off + n) * 4L, 64);
                        maxR.copyFrom(maxS.asSlice(0, (off + n) * 4L));
                        float sign = seed % 2 == 0 ? 1f : -1f;
                        boolean decoupled = seed % 3 == 0;      // AdamW: decay < 1, no L2; Adam: decay 1, L2
                        float decay = decoupled ? 0.999f : 1f;
                        float l2 = decoupled ? 0f : 0.01f;
                        float w1 = 1f - beta;
                        SimdOptim.amsgrad(simd.p, off, simd.g, off, simd.m, off, simd.v, off, maxS, off, n, sign,
                                decay, l2, w1, 0.99f, 0.01f, 1e-8f, 1e-3f / (1f - beta), 0.3f);
                        RefOptim.amsgrad(ref.p, off, ref.g, off, ref.m, off, ref.v, off, maxR, off, n, sign,
                                decay, l2, w1, 0.99f, 0.01f, 1e-8f, 1e-3f / (1f - beta), 0.3f);
                        assertAll(simd, ref, off + n, "amsgrad n=" + n + " off=" + off);
                        assertSame(maxS, maxR, off + n, "amsgrad vMax n=" + n);
                    }
                });
    }

    @Test
    void sgdAndLionMatchTheirTwin() {
        qt().withFixedSeed(SEED).withExamples(80)
                .forAll(integers().between(0, 300), integers().between(0, 7), floats().between(0f, 0.99f),
                        longs().all())
                .checkAssert((total, off, mu, seed) -> {
                    int n = Math.max(0, total - off);
                    try (Arena arena = Arena.ofConfined()) {
                        Operands simd = Operands.of(arena, off + n, seed);
                        Operands ref = simd.copy(arena, off + n);
                        boolean nesterov = seed % 3 == 0;
                        boolean first = seed % 5 == 0;
                        float sign = seed % 2 == 0 ? 1f : -1f;
                        SimdOptim.sgd(simd.p, off, simd.g, off, n, sign, 0.01f, 0.1f);
                        RefOptim.sgd(ref.p, off, ref.g, off, n, sign, 0.01f, 0.1f);
                        assertAll(simd, ref, off + n, "sgd n=" + n);
                        SimdOptim.sgdMomentum(simd.p, off, simd.g, off, simd.m, off, n, sign, 1e-3f, 0.05f, mu,
                                nesterov ? 1f : 0.9f, nesterov, first);
                        RefOptim.sgdMomentum(ref.p, off, ref.g, off, ref.m, off, n, sign, 1e-3f, 0.05f, mu,
                                nesterov ? 1f : 0.9f, nesterov, first);
                        assertAll(simd, ref, off + n, "sgdMomentum n=" + n);
                        SimdOptim.lion(simd.p, off, simd.g, off, simd.m, off, n, 1e-3f, mu, 1f - mu, 0.99f,
                                0.01f, 0.1f);
                        RefOptim.lion(ref.p, off, ref.g, off, ref.m, off, n, 1e-3f, mu, 1f - mu, 0.99f,
                                0.01f, 0.1f);
                        assertAll(simd, ref, off + n, "lion n=" + n);
                    }
                });
    }

    @Test
    void lionSignTreatsZeroAsZero() {
        // g = m = 0 makes the interpolation exactly 0: sign(0) = 0, so only the decay moves p.
        try (Arena arena = Arena.ofConfined()) {
            int n = 37;
            MemorySegment p = arena.allocate(n * 4L, 64);
            MemorySegment g = arena.allocate(n * 4L, 64);
            MemorySegment m = arena.allocate(n * 4L, 64);
            for (int i = 0; i < n; i++) {
                p.setAtIndex(F32, i, 1f);
            }
            SimdOptim.lion(p, 0, g, 0, m, 0, n, 0.5f, 0.9f, 0.1f, 0.99f, 0.01f, 0f);
            for (int i = 0; i < n; i++) {
                assertTrue(p.getAtIndex(F32, i) == 1f, "zero update moved p[" + i + "]");
            }
            SimdOptim.lion(p, 0, g, 0, m, 0, n, 0.5f, 0.9f, 0.1f, 0.99f, 0.01f, 0.5f);
            for (int i = 0; i < n; i++) {
                assertTrue(p.getAtIndex(F32, i) == 0.75f, "decay only: p = 1 - 0.5 * 0.5 * 1");
            }
        }
    }
}
