package dev.tiller.tensor.op;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TestData;
import dev.tiller.tensor.kernel.ConvGeometry;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.math.BigInteger;

import static dev.tiller.tensor.op.ConvReference.U;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Property tests of Conv (im2col + GEMM) against the direct seven-loop convolution in RefConv, on random small
 * geometries (N 0..3, C 1..6, H/W 1..12, kernel 1..4, stride 1..3, padding 0..2, dilation 1..2, groups dividing the
 * channels, depthwise included), plus the adjoint laws that tie the backward passes to the forward pass without
 * any reference.
 *
 * <p>Tolerances: an output element summed in float from k terms t_i differs from the exact sum by at most about
 * k u sum|t_i| (u = 2^-24, any summation order); the reference (double, then rounded) adds u |exact|. So each test
 * bounds |op - ref| by (k + 3) u A, with A = the same convolution of |inputs| (the sum of |terms| per element).
 */
class ConvPropertiesTest {

    /** One random convolution: geometry, whether x is a non-contiguous view, whether there is a bias, a seed. */
    record Case(ConvGeometry g, boolean viewX, boolean withBias, long seed) {
        @Override
        public String toString() {
            return g + " viewX=" + viewX + " bias=" + withBias + " seed=" + seed;
        }
    }

    private static Gen<Case> cases() {
        // channels: n, Cin, Cout, group pick (3 = gcd(Cin, Cout): depthwise when Cin == Cout)
        Gen<int[]> channels = integers().between(0, 3).zip(integers().between(1, 6), integers().between(1, 6),
                integers().between(0, 3), (n, cin, cout, pick) -> new int[] {n, cin, cout, groups(cin, cout, pick)});
        Gen<int[]> spatial = integers().between(1, 12).zip(integers().between(1, 12), integers().between(1, 4),
                integers().between(1, 4), (h, w, kh, kw) -> new int[] {h, w, kh, kw});
        Gen<int[]> window = integers().between(1, 3).zip(integers().between(1, 3), integers().between(0, 2),
                integers().between(0, 2), (sh, sw, ph, pw) -> new int[] {sh, sw, ph, pw});
        return channels.zip(spatial, window, integers().between(0, 15), longs().all(), (c, s, wi, bits, seed) -> {
            ConvGeometry g = ConvGeometry.of(c[0], c[1], s[0], s[1], c[2], s[2], s[3], wi[0], wi[1], wi[2], wi[3],
                    1 + (bits & 1), 1 + ((bits >> 1) & 1), c[3]);
            return new Case(g, (bits & 4) != 0, (bits & 8) != 0, seed);
        });
    }

    /** The pick-th divisor of gcd(cin, cout) from the small end, or the gcd itself for pick 3. */
    private static int groups(int cin, int cout, int pick) {
        int gcd = BigInteger.valueOf(cin).gcd(BigInteger.valueOf(cout)).intValue();
        if (pick == 3) {
            return gcd;
        }
        int seen = 0;
        int last = 1;
        for (int d = 1; d <= gcd; d++) {
            if (gcd % d == 0) {
                last = d;
                if (seen++ == pick) {
                    return d;
                }
            }
        }
        return last;
    }

    private static boolean valid(Case c) {
        return c.g().outH() >= 1 && c.g().outW() >= 1;
    }

    private static int[] stride(ConvGeometry g) {
        return new int[] {g.sH(), g.sW()};
    }

    private static int[] padding(ConvGeometry g) {
        return new int[] {g.pH(), g.pW()};
    }

    private static int[] dilation(ConvGeometry g) {
        return new int[] {g.dH(), g.dW()};
    }

    private static Tensor input(Case c) {
        ConvGeometry g = c.g();
        if (c.viewX()) {    // a (N, Cin, W, H) tensor transposed: a non-contiguous view of the right shape
            return TestData.uniform(c.seed(), -1f, 1f, g.n(), g.cin(), g.w(), g.h()).transpose(2, 3);
        }
        return TestData.uniform(c.seed(), -1f, 1f, g.n(), g.cin(), g.h(), g.w());
    }

    private static Tensor weight(Case c) {
        ConvGeometry g = c.g();
        return TestData.uniform(c.seed() ^ 0x5DEECE66DL, -1f, 1f, g.cout(), g.cinG(), g.kH(), g.kW());
    }

    private static Tensor upstream(Case c) {
        ConvGeometry g = c.g();
        return TestData.uniform(c.seed() + 31, -1f, 1f, g.n(), g.cout(), g.outH(), g.outW());
    }

    @Test
    void conv2dMatchesDirectConvolution() {
        qt().withFixedSeed(20261122L).withExamples(250).forAll(cases()).assuming(ConvPropertiesTest::valid)
                .checkAssert(c -> {
                    ConvGeometry g = c.g();
                    Tensor x = input(c), w = weight(c);
                    Tensor b = c.withBias() ? TestData.uniform(c.seed() + 7, -1f, 1f, g.cout()) : null;
                    Tensor out = Conv.conv2d(x, w, b, stride(g), padding(g), dilation(g), g.groups());
                    assertArrayEquals(new int[] {g.n(), g.cout(), g.outH(), g.outW()}, out.shape(), c::toString);
                    Tensor ref = ConvReference.conv2d(g, x, w, b);
                    Tensor scale = ConvReference.conv2d(g, ConvReference.abs(x), ConvReference.abs(w),
                            b == null ? null : ConvReference.abs(b));
                    ConvReference.assertWithin("conv2d " + c, out, ref, scale, g.colRows() + 3);
                });
    }

    @Test
    void conv2dBackwardInputMatchesDirectConvolution() {
        qt().withFixedSeed(20261123L).withExamples(250).forAll(cases()).assuming(ConvPropertiesTest::valid)
                .checkAssert(c -> {
                    ConvGeometry g = c.g();
                    Tensor w = weight(c), dOut = upstream(c);
                    Tensor dX = Conv.conv2dBackwardInput(dOut, w, new int[] {g.n(), g.cin(), g.h(), g.w()},
                            stride(g), padding(g), dilation(g), g.groups());
                    assertArrayEquals(new int[] {g.n(), g.cin(), g.h(), g.w()}, dX.shape(), c::toString);
                    Tensor ref = ConvReference.backwardInput(g, dOut, w);
                    Tensor scale = ConvReference.backwardInput(g, ConvReference.abs(dOut), ConvReference.abs(w));
                    // each dX element: at most Cout/g kH kW terms (GEMM over Cout/g, then col2im over the taps)
                    ConvReference.assertWithin("conv2dBackwardInput " + c, dX, ref, scale,
                            g.coutG() * g.kH() * g.kW() + 3);
                });
    }

    @Test
    void conv2dBackwardWeightAndBiasMatchDirectConvolution() {
        qt().withFixedSeed(20261124L).withExamples(250).forAll(cases()).assuming(ConvPropertiesTest::valid)
                .checkAssert(c -> {
                    ConvGeometry g = c.g();
                    Tensor x = input(c), dOut = upstream(c);
                    int[] wShape = {g.cout(), g.cinG(), g.kH(), g.kW()};
                    Tensor dW = Conv.conv2dBackwardWeight(dOut, x, wShape, stride(g), padding(g), dilation(g),
                            g.groups());
                    assertArrayEquals(wShape, dW.shape(), c::toString);
                    Tensor ref = ConvReference.backwardWeight(g, dOut, x);
                    Tensor scale = ConvReference.backwardWeight(g, ConvReference.abs(dOut), ConvReference.abs(x));
                    // N outH outW terms, plus one rounding per image (GEMM beta = 1) and per chunk partial (<= 16)
                    int terms = g.n() * g.colCols();
                    ConvReference.assertWithin("conv2dBackwardWeight " + c, dW, ref, scale, terms + g.n() + 19);

                    Tensor dB = Conv.conv2dBackwardBias(dOut);
                    float[] d = dOut.toFloatArray(), got = dB.toFloatArray();
                    for (int co = 0; co < g.cout(); co++) {
                        double sum = 0, abs = 0;
                        for (int n = 0; n < g.n(); n++) {
                            for (int j = 0; j < g.colCols(); j++) {
                                float v = d[(n * g.cout() + co) * g.colCols() + j];
                                sum += v;
                                abs += Math.abs(v);
                            }
                        }
                        double bound = (g.colCols() + g.n() + 2) * U * abs + Float.MIN_NORMAL;
                        assertTrue(Math.abs(got[co] - sum) <= bound, "bias grad " + co + " of " + c);
                    }
                });
    }

    /**
     * The adjoint laws, independent of any reference: conv2d is linear in x and in w, and the backward passes are
     * its adjoints, so {@code <conv(x, w), g> = <x, backwardInput(g, w)> = <w, backwardWeight(g, x)>}. Each side is
     * a sum over all (x, w, g) triples; float rounding perturbs it by at most (k + 3) u T per side, where k is the
     * per-element sum length of the convolution computed and {@code T = <conv(|x|, |w|), |g|>}.
     */
    @Test
    void backwardPassesAreAdjointsOfForward() {
        qt().withFixedSeed(20261125L).withExamples(200).forAll(cases()).assuming(ConvPropertiesTest::valid)
                .checkAssert(c -> {
                    ConvGeometry g = c.g();
                    Tensor x = input(c), w = weight(c), gr = upstream(c);
                    int[] xShape = {g.n(), g.cin(), g.h(), g.w()};
                    int[] wShape = {g.cout(), g.cinG(), g.kH(), g.kW()};
                    Tensor y = Conv.conv2d(x, w, null, stride(g), padding(g), dilation(g), g.groups());
                    Tensor dX = Conv.conv2dBackwardInput(gr, w, xShape, stride(g), padding(g), dilation(g),
                            g.groups());
                    Tensor dW = Conv.conv2dBackwardWeight(gr, x, wShape, stride(g), padding(g), dilation(g),
                            g.groups());
                    double lhs = ConvReference.dot(y, gr);
                    double viaX = ConvReference.dot(x, dX);
                    double viaW = ConvReference.dot(w, dW);
                    double t = ConvReference.dot(ConvReference.conv2d(g, ConvReference.abs(x), ConvReference.abs(w),
                            null), ConvReference.abs(gr));
                    double kForward = g.colRows() + 3;
                    double kInput = g.coutG() * g.kH() * g.kW() + 3;
                    double kWeight = g.n() * g.colCols() + g.n() + 19;
                    double tolX = (kForward + kInput) * U * t * 1.01 + Float.MIN_NORMAL;
                    double tolW = (kForward + kWeight) * U * t * 1.01 + Float.MIN_NORMAL;
                    assertTrue(Math.abs(lhs - viaX) <= tolX,
                            () -> "<conv(x), g> = " + lhs + " but <x, backwardInput(g)> = " + viaX + " for " + c);
                    assertTrue(Math.abs(lhs - viaW) <= tolW,
                            () -> "<conv(x), g> = " + lhs + " but <w, backwardWeight(g)> = " + viaW + " for " + c);
                });
    }
}
