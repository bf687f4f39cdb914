package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.kernel.ref.RefPool2d;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Pool2d against its scalar twin RefPool2d on random geometries (H/W 1..12, kernel 1..4, stride 1..3, padding up to
 * half the kernel, dilation 1..2, ceil mode on and off) and a plane offset. Max pooling and every backward pass
 * do the same float operations in the same order in both twins, so they must agree bitwise; inputs are drawn from
 * a few values (many ties) with occasional NaN and -infinity, to pin down the tie and NaN rules. Average pooling
 * sums k = kH kW terms in float in the fast twin and in double in the reference: |fast - ref| <= (k + 2) u A with
 * A the average of |x| over the window.
 */
class PoolKernelTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;

    private static Gen<PoolGeometry> geometries() {
        Gen<int[]> a = integers().between(1, 12).zip(integers().between(1, 12), integers().between(1, 4),
                integers().between(1, 4), (h, w, kh, kw) -> new int[] {h, w, kh, kw});
        Gen<int[]> b = integers().between(1, 3).zip(integers().between(1, 3), integers().between(0, 2),
                integers().between(0, 2), (sh, sw, ph, pw) -> new int[] {sh, sw, ph, pw});
        return a.zip(b, integers().between(0, 3), booleans().all(), (x, y, dil, ceil) -> {
            int ph = Math.min(y[2], x[2] / 2), pw = Math.min(y[3], x[3] / 2);
            int dh = 1 + (dil & 1), dw = 1 + (dil >> 1);
            return new PoolGeometry(x[0], x[1], x[2], x[3], y[0], y[1], ph, pw, dh, dw,
                    PoolGeometry.outputSize(x[0], x[2], y[0], ph, dh, ceil),
                    PoolGeometry.outputSize(x[1], x[3], y[1], pw, dw, ceil));
        });
    }

    private static boolean valid(PoolGeometry g) {
        return g.outH() >= 1 && g.outW() >= 1;
    }

    /** Same geometry with dilation 1 (average pooling). */
    private static PoolGeometry undilated(PoolGeometry g, boolean ceil) {
        return new PoolGeometry(g.h(), g.w(), g.kH(), g.kW(), g.sH(), g.sW(), g.pH(), g.pW(), 1, 1,
                PoolGeometry.outputSize(g.h(), g.kH(), g.sH(), g.pH(), 1, ceil),
                PoolGeometry.outputSize(g.w(), g.kW(), g.sW(), g.pW(), 1, ceil));
    }

    /** n floats: mostly one of {-1, 0, 0.5, 1} (ties), sometimes NaN or -infinity when special is set. */
    private static MemorySegment tieHeavy(Arena arena, long n, long seed, boolean special) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4, 64);
        float[] pool = {-1f, 0f, 0.5f, 1f};
        for (long i = 0; i < n; i++) {
            int r = (int) (Philox.uniform(seed, 3, i) * 64);
            float v = pool[r & 3];
            if (special && r == 63) {
                v = Float.NaN;
            } else if (special && r == 62) {
                v = Float.NEGATIVE_INFINITY;
            }
            s.setAtIndex(F32, i, v);
        }
        return s;
    }

    private static MemorySegment uniform(Arena arena, long n, long seed) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, i, 2f * Philox.uniform(seed, 5, i) - 1f);
        }
        return s;
    }

    private static void assertBitwise(String what, MemorySegment a, MemorySegment b, long n) {
        for (long i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(b.getAtIndex(F32, i)), Float.floatToRawIntBits(a.getAtIndex(F32, i)),
                    () -> what);
        }
    }

    @Test
    void fastMaxPoolMatchesReferenceBitwise() {
        qt().withFixedSeed(20261128L).withExamples(300)
                .forAll(geometries(), integers().between(1, 3), integers().between(0, 5), longs().all())
                .assuming((g, planes, off, seed) -> valid(g))
                .checkAssert(PoolKernelTwinTest::checkMaxPool);
    }

    /**
     * The 2x2 / stride 2 fast path (the convnets' pooling), odd and even sizes, floor and ceil mode; widths up to 70
     * give output rows of 0 to 35, across the vector path (8 or 16 outputs at a time) and its scalar tail.
     */
    @Test
    void twoByTwoMaxPoolMatchesReferenceBitwise() {
        qt().withFixedSeed(20261123L).withExamples(200)
                .forAll(integers().between(2, 13).zip(integers().between(2, 70), booleans().all(),
                                (h, w, ceil) -> new PoolGeometry(h, w, 2, 2, 2, 2, 0, 0, 1, 1,
                                        PoolGeometry.outputSize(h, 2, 2, 0, 1, ceil),
                                        PoolGeometry.outputSize(w, 2, 2, 0, 1, ceil))),
                        integers().between(1, 3), integers().between(0, 5), longs().all())
                .checkAssert(PoolKernelTwinTest::checkMaxPool);
    }

    private static void checkMaxPool(PoolGeometry g, int planes, int off, long seed) {
        try (Arena arena = Arena.ofConfined()) {
            long xn = (long) planes * g.h() * g.w(), on = (long) planes * g.outH() * g.outW();
            MemorySegment x = tieHeavy(arena, off + xn, seed, (seed & 1) == 0);
            MemorySegment oF = arena.allocate((off + on) * 4, 8), oR = arena.allocate((off + on) * 4, 8);
            MemorySegment iF = arena.allocate((off + on) * 8, 8), iR = arena.allocate((off + on) * 8, 8);
            Pool2d.maxPool2d(g, x, off, 0, planes, oF, off, iF, off);
            RefPool2d.maxPool2d(g, x, off, 0, planes, oR, off, iR, off);
            assertBitwise("maxPool2d values " + g, oF, oR, off + on);
            for (long i = 0; i < off + on; i++) {
                assertEquals(iR.getAtIndex(I64, i), iF.getAtIndex(I64, i), "maxPool2d index " + i + g);
            }
            MemorySegment dOut = uniform(arena, off + on, seed + 1);
            MemorySegment dF = arena.allocate((off + xn) * 4, 8), dR = arena.allocate((off + xn) * 4, 8);
            Pool2d.maxPool2dBackward(g, dOut, off, iF, off, 0, planes, dF, off);
            RefPool2d.maxPool2dBackward(g, dOut, off, iR, off, 0, planes, dR, off);
            assertBitwise("maxPool2dBackward " + g, dF, dR, off + xn);
        }
    }

    @Test
    void fastAvgPoolMatchesReference() {
        qt().withFixedSeed(20261129L).withExamples(300)
                .forAll(geometries(), booleans().all(), booleans().all(), longs().all())
                .assuming((g, ceil, include, seed) -> valid(undilated(g, ceil)))
                .checkAssert((g0, ceil, include, seed) -> {
                    PoolGeometry g = undilated(g0, ceil);
                    int planes = 2, off = (int) (seed & 7);
                    try (Arena arena = Arena.ofConfined()) {
                        long xn = (long) planes * g.h() * g.w(), on = (long) planes * g.outH() * g.outW();
                        MemorySegment x = uniform(arena, off + xn, seed);
                        MemorySegment absX = arena.allocate((off + xn) * 4, 8);
                        for (long i = 0; i < off + xn; i++) {
                            absX.setAtIndex(F32, i, Math.abs(x.getAtIndex(F32, i)));
                        }
                        MemorySegment oF = arena.allocate((off + on) * 4, 8), oR = arena.allocate((off + on) * 4, 8);
                        MemorySegment scale = arena.allocate((off + on) * 4, 8);
                        Pool2d.avgPool2d(g, include, x, off, 0, planes, oF, off);
                        RefPool2d.avgPool2d(g, include, x, off, 0, planes, oR, off);
                        RefPool2d.avgPool2d(g, include, absX, off, 0, planes, scale, off);
                        double k = g.kH() * g.kW();
                        for (long i = off; i < off + on; i++) {
                            double err = Math.abs(oF.getAtIndex(F32, i) - oR.getAtIndex(F32, i));
                            double bound = (k + 2) * 0x1p-24 * scale.getAtIndex(F32, i) * 1.01 + Float.MIN_NORMAL;
                            assertEquals(0, Math.max(0, err - bound), "avgPool2d element " + i + " of " + g);
                        }
                        MemorySegment dOut = uniform(arena, off + on, seed + 1);
                        MemorySegment dF = arena.allocate((off + xn) * 4, 8), dR = arena.allocate((off + xn) * 4, 8);
                        Pool2d.avgPool2dBackward(g, include, dOut, off, 0, planes, dF, off);
                        RefPool2d.avgPool2dBackward(g, include, dOut, off, 0, planes, dR, off);
                        assertBitwise("avgPool2dBackward " + g, dF, dR, off + xn);
                    }
                });
    }

    @Test
    void fastAdaptiveAvgPoolMatchesReference() {
        qt().withFixedSeed(20261130L).withExamples(300)
                .forAll(integers().between(1, 13), integers().between(1, 13), integers().between(1, 7),
                        integers().between(1, 7))
                .checkAssert((h, w, outH, outW) -> {
                    int planes = 2, off = (h + w) & 7;
                    long seed = h * 31L + w * 7L + outH;
                    try (Arena arena = Arena.ofConfined()) {
                        long xn = (long) planes * h * w, on = (long) planes * outH * outW;
                        MemorySegment x = uniform(arena, off + xn, seed);
                        MemorySegment oF = arena.allocate((off + on) * 4, 8), oR = arena.allocate((off + on) * 4, 8);
                        Pool2d.adaptiveAvgPool2d(h, w, outH, outW, x, off, 0, planes, oF, off);
                        RefPool2d.adaptiveAvgPool2d(h, w, outH, outW, x, off, 0, planes, oR, off);
                        // a window has at most (ceil(H/outH) + 1)(ceil(W/outW) + 1) terms, each |x| <= 1
                        double k = ((h + outH - 1) / outH + 1) * ((w + outW - 1) / outW + 1);
                        for (long i = off; i < off + on; i++) {
                            double err = Math.abs(oF.getAtIndex(F32, i) - oR.getAtIndex(F32, i));
                            assertEquals(0, Math.max(0, err - (k + 2) * 0x1p-24), "adaptiveAvgPool2d element " + i);
                        }
                        MemorySegment dOut = uniform(arena, off + on, seed + 1);
                        MemorySegment dF = arena.allocate((off + xn) * 4, 8), dR = arena.allocate((off + xn) * 4, 8);
                        Pool2d.adaptiveAvgPool2dBackward(h, w, outH, outW, dOut, off, 0, planes, dF, off);
                        RefPool2d.adaptiveAvgPool2dBackward(h, w, outH, outW, dOut, off, 0, planes, dR, off);
                        assertBitwise("adaptiveAvgPool2dBackward", dF, dR, off + xn);
                    }
                });
    }
}
