package dev.tiller.optim.average;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** EMA and SWA against closed forms; swap round trip; checked save/load. */
class WeightAverageTest {
    private static ParamRef param(String name, float... v) {
        return new ParamRef(name, Tensor.of(v.clone(), v.length), Tensor.zeros(v.length));
    }

    private static void set(ParamRef p, float... v) {
        p.value().copyFrom(Tensor.of(v, v.length));
    }

    @Test
    void emaWithWarmStartMatchesTheClosedForm() {
        // ema_1 = p_1; ema_k = d ema_{k-1} + (1 - d) p_k  =>  ema_k = d^(k-1) p_1 + sum_{j=2..k} (1 - d) d^(k-j) p_j
        qt().withFixedSeed(7L).withExamples(50)
                .forAll(doubles().between(0.0, 0.999), integers().between(1, 30), longs().all())
                .checkAssert((d, k, seed) -> {
                    ParamRef p = param("w", 0f, 0f, 0f);
                    Ema ema = new Ema(List.of(p), null);
                    Tensor trace = Tensor.normal(seed, 0, 0f, 1f, k, 3);
                    double[] closed = new double[3];
                    for (int t = 0; t < k; t++) {
                        float[] pt = {trace.getFloat(t, 0), trace.getFloat(t, 1), trace.getFloat(t, 2)};
                        set(p, pt);
                        ema.update(new EmaHyper(d, true));
                        for (int i = 0; i < 3; i++) {
                            closed[i] = t == 0 ? pt[i] : d * closed[i] + (1 - d) * pt[i];
                        }
                    }
                    float[] got = ema.average("w").toFloatArray();
                    for (int i = 0; i < 3; i++) {
                        // each float32 lerp adds ~1 ulp of |values| <= ~5; k steps at most
                        assertEquals(closed[i], got[i], 1e-6 * 5 * (k + 1), "d=" + d + " k=" + k);
                    }
                    assertEquals((long) k, ema.count());
                });
    }

    @Test
    void emaWithoutWarmStartDecaysFromTheConstructionValues() {
        // p_0 = 4 at construction; then p = 0 each step: ema_k = 4 d^k
        ParamRef p = param("w", 4f);
        Ema ema = new Ema(List.of(p), null);
        set(p, 0f);
        for (int k = 1; k <= 3; k++) {
            ema.update(new EmaHyper(0.5, false));
            assertEquals(4f * (float) Math.pow(0.5, k), ema.average("w").toFloatArray()[0]);
        }
    }

    @Test
    void emaUsesTorchLerpForm() {
        // decay 0.25 -> weight 0.75 >= 0.5: ema = p - (p - ema)(1 - w); from ema 1 to p 2: 2 - 1 * 0.25 = 1.75
        ParamRef p = param("w", 1f);
        Ema ema = new Ema(List.of(p), null);
        set(p, 2f);
        ema.update(new EmaHyper(0.25, false));
        assertEquals(1.75f, ema.average("w").toFloatArray()[0]);
        // constant parameters are a fixed point for any decay
        ema.update(new EmaHyper(0.999, false));
        set(p, 1.75f);
        Ema e2 = new Ema(List.of(p), null);
        for (int i = 0; i < 10; i++) {
            e2.update(EmaHyper.defaults());
        }
        assertEquals(1.75f, e2.average("w").toFloatArray()[0]);
    }

    @Test
    void swaIsTheMeanOfTheAveragedSteps() {
        // start 2, every 3: steps 2, 5, 8 are averaged; p_t = t -> mean (2 + 5 + 8) / 3 = 5
        ParamRef p = param("w", 0f, 0f);
        Swa swa = new Swa(List.of(p), null);
        SwaHyper h = new SwaHyper(2, 3);
        int averaged = 0;
        for (int t = 0; t <= 9; t++) {
            set(p, t, -2f * t);
            if (swa.update(t, h)) {
                averaged++;
            }
        }
        assertEquals(3, averaged);
        assertEquals(3, swa.count());
        assertArrayEquals(new float[] {5f, -10f}, swa.average("w").toFloatArray(), 1e-6f);
    }

    @Test
    void swaOfRandomTraceEqualsArithmeticMean() {
        qt().withFixedSeed(11L).withExamples(40).forAll(integers().between(1, 40), longs().all())
                .checkAssert((k, seed) -> {
                    ParamRef p = param("w", 0f, 0f, 0f, 0f);
                    Swa swa = new Swa(List.of(p), null);
                    Tensor trace = Tensor.normal(seed, 1, 0f, 1f, k, 4);
                    double[] sum = new double[4];
                    for (int t = 0; t < k; t++) {
                        float[] pt = new float[4];
                        for (int i = 0; i < 4; i++) {
                            pt[i] = trace.getFloat(t, i);
                            sum[i] += pt[i];
                        }
                        set(p, pt);
                        swa.update();
                    }
                    float[] got = swa.average("w").toFloatArray();
                    for (int i = 0; i < 4; i++) {
                        assertEquals(sum[i] / k, got[i], 1e-6 * 5 * (k + 1));
                    }
                });
    }

    @Test
    void swapRoundTripIsBitwiseAndTrainingCanContinue() {
        ParamRef p = param("w", 1f, -0f, Float.intBitsToFloat(0x7fc00123), 3e-42f);
        Ema ema = new Ema(List.of(p), null);
        set(p, 5f, 6f, 7f, 8f);
        ema.update(EmaHyper.defaults());                       // copies: average = (5, 6, 7, 8)
        set(p, 1f, -0f, Float.intBitsToFloat(0x7fc00123), 3e-42f);
        int[] paramBits = bits(p.value());
        int[] avgBits = bits(ema.average("w"));
        ema.swap();
        assertTrue(ema.swappedIn());
        assertArrayEquals(avgBits, bits(p.value()));           // the model now evaluates with the average
        assertArrayEquals(paramBits, bits(ema.average("w")));
        assertThrows(IllegalStateException.class, () -> ema.update(EmaHyper.defaults()));
        ema.swap();
        assertArrayEquals(paramBits, bits(p.value()));
        assertArrayEquals(avgBits, bits(ema.average("w")));
        ema.update(EmaHyper.defaults());                       // training continues
        assertEquals(2, ema.count());
    }

    private static int[] bits(Tensor t) {
        float[] f = t.toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    @Test
    void saveLoadMidRunThenContinueEqualsUninterrupted() {
        float[][] trace = {{1f, 2f}, {3f, -1f}, {0.5f, 0.25f}, {7f, 7f}, {-2f, 4f}};
        EmaHyper h = new EmaHyper(0.9, true);
        ParamRef pa = param("w", 0f, 0f);
        Ema a = new Ema(List.of(pa), null);
        for (float[] v : trace) {
            set(pa, v);
            a.update(h);
        }
        ParamRef pb = param("w", 0f, 0f);
        Ema b = new Ema(List.of(pb), null);
        for (int t = 0; t < 2; t++) {
            set(pb, trace[t]);
            b.update(h);
        }
        Map<String, Tensor> saved = new HashMap<>();
        b.state().forEach((k, v) -> saved.put(k, v.copy()));
        ParamRef pc = param("w", 0f, 0f);
        Ema c = new Ema(List.of(pc), null);
        c.loadState(saved, b.count());
        for (int t = 2; t < trace.length; t++) {
            set(pc, trace[t]);
            c.update(h);
        }
        assertArrayEquals(bits(a.average("w")), bits(c.average("w")));
        assertEquals(a.count(), c.count());
    }

    @Test
    void loadRejectsWrongShapesAndNamesNamingTheTensor() {
        Swa swa = new Swa(List.of(param("w", 0f, 0f)), null);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> swa.loadState(Map.of("swa/w", Tensor.zeros(3)), 1));
        assertTrue(shape.getMessage().contains("'swa/w'"), shape.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> swa.loadState(Map.of("swa/v", Tensor.zeros(2)), 1));
        assertTrue(missing.getMessage().contains("lacks tensor 'swa/w'"), missing.getMessage());
        IllegalArgumentException extra = assertThrows(IllegalArgumentException.class,
                () -> swa.loadState(Map.of("swa/w", Tensor.zeros(2), "swa/b", Tensor.zeros(1)), 1));
        assertTrue(extra.getMessage().contains("'swa/b'"), extra.getMessage());
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EmaHyper(1.5, true));
        assertEquals("EMA: decay = 1.5 is not allowed; allowed range [0, 1], finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EmaHyper(Double.NaN, true));
        assertThrows(IllegalArgumentException.class, () -> new SwaHyper(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SwaHyper(0, 0));
    }
}
