package dev.tiller.tensor.kernel;

import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ref.RefConv;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * SimdConv against its scalar twin RefConv. im2col is pure data movement and col2im adds in the same order in both
 * twins, so both must agree bitwise (every col entry written, padding entries exactly 0). Geometries cross the
 * vector widths (W up to 40 so stride-1 rows exceed 16 lanes) and start at misaligned offsets.
 */
class ConvKernelTwinTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private static Gen<ConvGeometry> geometries() {
        Gen<int[]> a = integers().between(1, 4).zip(integers().between(1, 20), integers().between(1, 40),
                integers().between(1, 4), (c, h, w, kh) -> new int[] {c, h, w, kh});
        Gen<int[]> b = integers().between(1, 4).zip(integers().between(1, 3), integers().between(1, 3),
                integers().between(0, 2), (kw, sh, sw, ph) -> new int[] {kw, sh, sw, ph});
        return a.zip(b, integers().between(0, 2), integers().between(0, 3), (x, y, pw, dil) -> ConvGeometry.of(1,
                x[0], x[1], x[2], 1, x[3], y[0], y[1], y[2], y[3], pw, 1 + (dil & 1), 1 + (dil >> 1), 1));
    }

    private static boolean valid(ConvGeometry g) {
        return g.outH() >= 1 && g.outW() >= 1;
    }

    private static MemorySegment filled(Arena arena, long n, float v) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, i, v);
        }
        return s;
    }

    private static void assertBitwise(String what, MemorySegment a, MemorySegment b, long n) {
        for (long i = 0; i < n; i++) {
            int x = Float.floatToRawIntBits(a.getAtIndex(F32, i)), y = Float.floatToRawIntBits(b.getAtIndex(F32, i));
            if (x != y) {
                throw new AssertionError(what + ": element " + i + " fast " + a.getAtIndex(F32, i) + " ref "
                        + b.getAtIndex(F32, i));
            }
        }
    }

    @Test
    void simdIm2colAndCol2imMatchReferenceBitwise() {
        qt().withFixedSeed(20261126L).withExamples(300).forAll(geometries(), integers().between(0, 7), longs().all())
                .assuming((g, off, seed) -> valid(g)).checkAssert((g, off, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        long xn = (long) g.cinG() * g.h() * g.w();
                        long cn = (long) g.colRows() * g.colCols();
                        MemorySegment x = TestData.segment(arena, (int) (off + xn), seed, -1f, 1f);
                        MemorySegment colFast = filled(arena, off + cn, Float.NaN);   // must be fully overwritten
                        MemorySegment colRef = filled(arena, off + cn, Float.NaN);
                        SimdConv.im2col(g, x, off, colFast, off);
                        RefConv.im2col(g, x, off, colRef, off);
                        assertBitwise("im2col " + g, colFast, colRef, off + cn);

                        MemorySegment col = TestData.segment(arena, (int) (off + cn), seed + 1, -1f, 1f);
                        MemorySegment xFast = TestData.segment(arena, (int) (off + xn), seed + 2, -1f, 1f);
                        MemorySegment xRef = TestData.segment(arena, (int) (off + xn), seed + 2, -1f, 1f);
                        SimdConv.col2im(g, col, off, xFast, off);
                        RefConv.col2im(g, col, off, xRef, off);
                        assertBitwise("col2im " + g, xFast, xRef, off + xn);
                    }
                });
    }

    @Test
    void simdBiasKernelsMatchReference() {
        qt().withFixedSeed(20261127L).withExamples(200)
                .forAll(integers().between(0, 4), integers().between(1, 6), integers().between(0, 70), longs().all())
                .checkAssert((n, c, hw, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        int off = (int) (seed & 7);
                        MemorySegment b = TestData.segment(arena, off + c, seed, -1f, 1f);
                        MemorySegment outFast = filled(arena, off + (long) c * hw, Float.NaN);
                        MemorySegment outRef = filled(arena, off + (long) c * hw, Float.NaN);
                        SimdConv.broadcastRows(b, off, c, hw, outFast, off);
                        RefConv.broadcastRows(b, off, c, hw, outRef, off);
                        assertBitwise("broadcastRows", outFast, outRef, off + (long) c * hw);

                        // planeSums: float row sums of hw terms then double over n rows: error <= (hw + 1) u sum|d|
                        MemorySegment d = TestData.segment(arena, off + n * c * hw, seed + 1, -1f, 1f);
                        MemorySegment sFast = filled(arena, c, 0f), sRef = filled(arena, c, 0f);
                        SimdConv.planeSums(d, off, n, c, hw, 0, c, sFast, 0);
                        RefConv.planeSums(d, off, n, c, hw, 0, c, sRef, 0);
                        for (int ch = 0; ch < c; ch++) {
                            double abs = 0;
                            for (int i = 0; i < n; i++) {
                                for (int j = 0; j < hw; j++) {
                                    abs += Math.abs(d.getAtIndex(F32, off + ((long) i * c + ch) * hw + j));
                                }
                            }
                            double err = Math.abs(sFast.getAtIndex(F32, ch) - sRef.getAtIndex(F32, ch));
                            assertTrue(err <= (hw + 2) * 0x1p-24 * abs + Float.MIN_NORMAL, "planeSums channel " + ch);
                        }

                        MemorySegment dstFast = TestData.segment(arena, off + hw, seed + 3, -1f, 1f);
                        MemorySegment dstRef = TestData.segment(arena, off + hw, seed + 3, -1f, 1f);
                        MemorySegment src = TestData.segment(arena, off + hw, seed + 4, -1f, 1f);
                        SimdConv.accumulate(src, off, dstFast, off, hw);
                        RefConv.accumulate(src, off, dstRef, off, hw);
                        assertBitwise("accumulate", dstFast, dstRef, off + hw);
                    }
                });
    }

    /**
     * The fused products (column matrix packed straight for the GEMM, weights packed once) against im2col +
     * Gemm.sgemm (+ col2im): same bits, for the forward product (beta 0 and 1, weights packed inside or before), the
     * weight gradient and the input gradient, on geometries wide enough for the fused path.
     */
    @Test
    void fusedConvProductsMatchIm2colThenGemmBitwise() {
        qt().withFixedSeed(20261123L).withExamples(120).forAll(longs().all())
                .assuming(seed -> SimdConv.fused(wideGeometry(seed)))
                .checkAssert(seed -> {
                    ConvGeometry g = wideGeometry(seed);
                    int cout = g.cout(), kk = g.colRows(), hw = g.colCols();
                    try (Arena arena = Arena.ofShared()) {        // Gemm runs on the worker threads too
                        long xn = (long) g.cinG() * g.h() * g.w();
                        MemorySegment x = TestData.segment(arena, (int) xn, seed, -1f, 1f);
                        MemorySegment w = TestData.segment(arena, cout * kk, seed + 1, -1f, 1f);
                        MemorySegment d = TestData.segment(arena, cout * hw, seed + 2, -1f, 1f);
                        MemorySegment col = arena.allocate((long) kk * hw * 4, 64);
                        SimdConv.im2col(g, x, 0, col, 0);
                        for (float beta : new float[] {0f, 1f}) {
                            MemorySegment plain = TestData.segment(arena, cout * hw, seed + 3, -1f, 1f);
                            Gemm.sgemm(false, false, cout, hw, kk, 1f, w, 0, kk, col, 0, hw, beta, plain, 0, hw);
                            MemorySegment fused = TestData.segment(arena, cout * hw, seed + 3, -1f, 1f);
                            SimdConv.convImage(g, x, 0, w, 0, null, beta, fused, 0);
                            assertBitwise("convImage beta " + beta + " " + g, fused, plain, (long) cout * hw);
                            MemorySegment prepacked = TestData.segment(arena, cout * hw, seed + 3, -1f, 1f);
                            SimdConv.convImage(g, x, 0, w, 0, SimdConv.packWeights(g, w, 0, false), beta,
                                    prepacked, 0);
                            assertBitwise("convImage, packed weights, beta " + beta + " " + g, prepacked, plain,
                                    (long) cout * hw);
                            MemorySegment dwPlain = TestData.segment(arena, cout * kk, seed + 4, -1f, 1f);
                            MemorySegment dwtFused = arena.allocate((long) cout * kk * 4, 64);
                            SimdConv.transpose(dwPlain, 0, kk, cout, dwtFused, 0);     // the same start, as dW^T
                            Gemm.sgemm(false, true, cout, kk, hw, 1f, d, 0, hw, col, 0, hw, beta, dwPlain, 0, kk);
                            SimdConv.weightGradImageT(g, x, 0, d, 0, beta, dwtFused, 0);
                            MemorySegment dwFused = arena.allocate((long) cout * kk * 4, 64);
                            SimdConv.transpose(dwtFused, 0, cout, kk, dwFused, 0);
                            assertBitwise("weightGradImageT beta " + beta + " " + g, dwFused, dwPlain,
                                    (long) cout * kk);
                        }
                        // Input gradient: w^T @ dOut into col, then col2im, against Gemm + col2im.
                        MemorySegment dxPlain = TestData.segment(arena, (int) xn, seed + 5, -1f, 1f);
                        MemorySegment dcol = arena.allocate((long) kk * hw * 4, 64);
                        Gemm.sgemm(true, false, kk, hw, cout, 1f, w, 0, kk, d, 0, hw, 0f, dcol, 0, hw);
                        SimdConv.col2im(g, dcol, 0, dxPlain, 0);
                        MemorySegment dxFused = TestData.segment(arena, (int) xn, seed + 5, -1f, 1f);
                        SimdConv.inputGradImage(g, SimdConv.packWeights(g, w, 0, true), d, 0, col, 0, dxFused, 0);
                        assertBitwise("inputGradImage " + g, dxFused, dxPlain, xn);
                    }
                });
    }

    /**
     * A geometry with stride 1 along the width and rows of 8 to 40 outputs (the fused path), kernels 1 to 4, any
     * height stride, padding 0 to 2, dilation 1 or 2, 1 to 40 output channels: K and outH outW cross KC and NR.
     */
    private static ConvGeometry wideGeometry(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int kH = 1 + r.nextInt(4), kW = 1 + r.nextInt(4), dH = 1 + r.nextInt(2), dW = 1 + r.nextInt(2);
        int pH = r.nextInt(3), pW = r.nextInt(3), sH = 1 + r.nextInt(3);
        int h = dH * (kH - 1) + 1 + r.nextInt(12);
        int w = dW * (kW - 1) + 8 + r.nextInt(33);
        return ConvGeometry.of(1, 1 + r.nextInt(30), h, w, 1 + r.nextInt(40), kH, kW, sH, 1, pH, pW, dH, dW, 1);
    }

    /** im2col of a 1x3x3 image [1..9] with a 2x2 kernel, padding 1, stride 2: rows are taps, columns outputs. */
    @Test
    void im2colOfSmallImageMatchesHandDerivation() {
        // outH = outW = floor((3 + 2 - 2) / 2) + 1 = 2; output (oh, ow) reads x[2 oh - 1 + ki, 2 ow - 1 + kj].
        // tap (0,0): x[-1,-1], x[-1,1], x[1,-1], x[1,1] -> 0, 0, 0, 5
        // tap (0,1): x[-1,0], x[-1,2], x[1,0], x[1,2]   -> 0, 0, 4, 6
        // tap (1,0): x[0,-1], x[0,1], x[2,-1], x[2,1]   -> 0, 2, 0, 8
        // tap (1,1): x[0,0], x[0,2], x[2,0], x[2,2]     -> 1, 3, 7, 9
        float[] want = {0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9};
        ConvGeometry g = ConvGeometry.of(1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = filled(arena, 9, 0f);
            for (int i = 0; i < 9; i++) {
                x.setAtIndex(F32, i, i + 1);
            }
            MemorySegment col = filled(arena, 16, Float.NaN);
            SimdConv.im2col(g, x, 0, col, 0);
            for (int i = 0; i < 16; i++) {
                assertEquals(want[i], col.getAtIndex(F32, i), "col entry " + i);
            }
        }
    }
}
