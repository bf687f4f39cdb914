package dev.tiller.optim;

import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Update statistics from the fused pass: the update's bits and the optimizer state are the same with and without
 * them, and the ratios equal RMS(new - old) / RMS(old) computed directly from copies of the weights.
 */
class UpdateStatsTest {
    /** Sizes: one under a chunk, one spanning several chunks with a ragged tail. */
    private static final int[][] SHAPES = {{7, 13}, {3 * FusedUpdate.GRAIN + 77}};

    private static List<ParamRef> params(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ParamRef> out = new ArrayList<>();
        for (int k = 0; k < SHAPES.length; k++) {
            int n = 1;
            for (int d : SHAPES[k]) {
                n *= d;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) r.nextGaussian();
            }
            out.add(new ParamRef("p" + k, Tensor.of(v, SHAPES[k]), Tensor.zeros(SHAPES[k])));
        }
        return out;
    }

    private static void randomGrads(List<ParamRef> ps, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (ParamRef p : ps) {
            float[] g = new float[(int) p.numel()];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (0.1 * r.nextGaussian());
            }
            p.grad().copyFrom(Tensor.of(g, p.value().shape()));
        }
    }

    private static <H extends Record> void check(String what, Function<List<ParamRef>, Optimizer<H>> make, H h) {
        List<ParamRef> plain = params(1);
        List<ParamRef> measured = params(1);
        Optimizer<H> a = make.apply(plain);
        Optimizer<H> b = make.apply(measured);
        for (int step = 0; step < 4; step++) {
            randomGrads(plain, 100 + step);
            randomGrads(measured, 100 + step);
            List<float[]> old = new ArrayList<>();
            measured.forEach(p -> old.add(p.value().toFloatArray()));
            a.step(h);
            UpdateStats stats = new UpdateStats();
            assertTrue(b.recordUpdateStats(stats), what);
            b.step(h);
            for (int k = 0; k < plain.size(); k++) {
                float[] want = plain.get(k).value().toFloatArray();
                float[] got = measured.get(k).value().toFloatArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                            what + " step " + step + " p" + k + "[" + i + "]");
                }
                double uu = 0;
                double ww = 0;
                for (int i = 0; i < got.length; i++) {
                    double u = (double) got[i] - old.get(k)[i];
                    uu += u * u;
                    ww += (double) old.get(k)[i] * old.get(k)[i];
                }
                UpdateStats.Entry e = stats.entries().get("p" + k);
                assertEquals(got.length, e.count(), what);
                assertEquals(uu, e.updateSquares(), 1e-12 * uu, what + " update squares p" + k);
                assertEquals(ww, e.weightSquares(), 1e-12 * ww, what + " weight squares p" + k);
                assertEquals(Math.sqrt(uu / ww), e.rmsRatio(), 1e-9 * Math.sqrt(uu / ww), what);
                assertTrue(uu > 0, what + ": the step moved the weights");
            }
            Map<String, Tensor> sa = a.state();
            Map<String, Tensor> sb = b.state();
            assertEquals(sa.keySet(), sb.keySet());
            sa.forEach((k, t) -> assertArrayEquals(t.toFloatArray(), sb.get(k).toFloatArray(), what + " " + k));
        }
    }

    @Test
    void adamWAdamSgdAndLionUpdateTheSameBitsAndReportTheDirectRatio() {
        check("AdamW", AdamW::new, AdamWHyper.defaults().withLr(1e-2f).withWeightDecay(0.1f));
        check("AdamW amsgrad", ps -> new AdamW(List.of(ParamGroup.of("default", ps)), Map.of(), null, 0,
                Amsgrad.WITH_MAX_STATE), AdamWHyper.defaults().withLr(1e-2f).withAmsgrad(true));
        check("Adam", Adam::new, AdamHyper.defaults().withLr(1e-2f).withWeightDecay(0.01f));
        check("SGD", Sgd::new, SgdHyper.of(0.1f).withWeightDecay(1e-3f));
        check("SGD momentum", Sgd::new, SgdHyper.of(0.1f).withMomentum(0.9f));
        check("Lion", Lion::new, new LionHyper(1e-3f, 0.9f, 0.99f, 0.1f));
    }

    @Test
    void aSinkServesOneStepAndAClosedOneIsIgnored() {
        List<ParamRef> ps = params(2);
        AdamW opt = new AdamW(ps);
        AdamWHyper h = AdamWHyper.defaults();
        UpdateStats first = new UpdateStats();
        opt.recordUpdateStats(first);
        randomGrads(ps, 3);
        opt.step(h);
        double before = first.entries().get("p0").updateSquares();
        opt.step(h);                                   // not armed: the first sink gains nothing
        assertEquals(before, first.entries().get("p0").updateSquares());
        UpdateStats closed = new UpdateStats();
        opt.recordUpdateStats(closed);
        closed.close();
        opt.step(h);
        assertTrue(closed.isEmpty());
        Consumer<Optimizer<?>> none = o -> assertFalse(o.recordUpdateStats(new UpdateStats()), o.name());
        none.accept(new Muon(params(4).subList(0, 1)));
    }
}
