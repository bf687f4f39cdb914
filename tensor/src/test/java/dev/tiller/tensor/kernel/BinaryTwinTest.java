package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefBinary;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * SimdBinary against RefBinary for every function and each operand layout (inc 1 or 0 per operand), lengths
 * 0..300 with misaligned offsets, inputs mixing ordinary values with NaN, +-inf and +-0.
 */
class BinaryTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    @Test
    void simdApplyMatchesReference() {
        qt().withFixedSeed(7L).withExamples(500)
                .forAll(integers().between(0, BinaryFn.values().length - 1), integers().between(0, 300),
                        integers().between(0, 3), longs().all())
                .checkAssert((fi, n, layout, seed) -> {
                    BinaryFn f = BinaryFn.values()[fi];
                    int aInc = layout & 1;
                    int bInc = layout >> 1;
                    int off = (int) (seed & 7);
                    boolean pow = f == BinaryFn.POW;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment a = pow ? UnaryTwinTest.uniform(arena, off + n + 1, seed, 0f, 4f)
                                : UnaryTwinTest.inputs(arena, UnaryFn.NEG, off + n + 1, seed);
                        MemorySegment b = pow ? UnaryTwinTest.uniform(arena, off + n + 1, ~seed, -3f, 3f)
                                : UnaryTwinTest.inputs(arena, UnaryFn.NEG, off + n + 1, ~seed);
                        if ((seed & 8) != 0) {             // make ties so EQ, LE, GE see true results
                            MemorySegment.copy(a, 0, b, 0, 4L * (off + n + 1) / 2);
                        }
                        MemorySegment os = arena.allocate(4L * (n + 1));
                        MemorySegment or = arena.allocate(4L * (n + 1));
                        SimdBinary.apply(f, a, off, aInc, b, off + 1, bInc, os, 1, n);
                        RefBinary.apply(f, a, off, aInc, b, off + 1, bInc, or, 1, n);
                        for (int i = 0; i < n; i++) {
                            float ref = or.getAtIndex(F32, 1 + i);
                            // +, -, *, / and max/min/compare are correctly rounded on both sides, and pow is the
                            // twin's own StrictMath.pow per element: bitwise equal
                            UnaryTwinTest.check(f + " layout " + layout + " n=" + n + " i=" + i,
                                    os.getAtIndex(F32, 1 + i), ref, 0.0);
                        }
                    }
                });
    }

    @Test
    void simdWhereAndAxpyMatchReference() {
        qt().withFixedSeed(8L).withExamples(300)
                .forAll(integers().between(0, 300), integers().between(0, 7), integers().between(0, 1), longs().all())
                .checkAssert((n, layout, xInc, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment c = UnaryTwinTest.inputs(arena, UnaryFn.RELU, n + 1, seed);
                        for (int i = 0; i <= n; i++) {          // half the conditions exactly 0
                            if ((i * 7 + seed & 2) == 0) {
                                c.setAtIndex(F32, i, 0f);
                            }
                        }
                        MemorySegment a = UnaryTwinTest.inputs(arena, UnaryFn.NEG, n + 1, seed + 1);
                        MemorySegment b = UnaryTwinTest.inputs(arena, UnaryFn.NEG, n + 1, seed + 2);
                        MemorySegment ws = arena.allocate(4L * (n + 1));
                        MemorySegment wr = arena.allocate(4L * (n + 1));
                        int ci = layout & 1;
                        int ai = layout >> 1 & 1;
                        int bi = layout >> 2 & 1;
                        SimdBinary.where(c, 1, ci, a, 0, ai, b, 1, bi, ws, 0, n);
                        RefBinary.where(c, 1, ci, a, 0, ai, b, 1, bi, wr, 0, n);
                        for (int i = 0; i < n; i++) {        // a select: bitwise equal
                            UnaryTwinTest.check("where i=" + i, ws.getAtIndex(F32, i), wr.getAtIndex(F32, i), 0.0);
                        }
                        float alpha = (float) (seed % 1000) / 250f;
                        MemorySegment ys = UnaryTwinTest.uniform(arena, n + 1, seed + 3, -5f, 5f);
                        MemorySegment yr = UnaryTwinTest.uniform(arena, n + 1, seed + 3, -5f, 5f);
                        SimdBinary.axpy(alpha, a, 1, xInc, ys, 0, n);
                        RefBinary.axpy(alpha, a, 1, xInc, yr, 0, n);
                        for (int i = 0; i < n; i++) {
                            // fma rounds once; the twin rounds the exact double sum to double then float: <= 1 ulp
                            float ref = yr.getAtIndex(F32, i);
                            UnaryTwinTest.check("axpy i=" + i, ys.getAtIndex(F32, i), ref, Math.ulp(ref));
                        }
                    }
                });
    }
}
