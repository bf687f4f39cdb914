package dev.tiller.optim.schedule;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/** Reduce-on-plateau rules (PyTorch and Optax flavours), their patience difference, and state save/restore. */
class PlateauTest {
    private static final ReduceLrOnPlateau.Mode MIN = ReduceLrOnPlateau.Mode.MIN;
    private static final ReduceLrOnPlateau.ThresholdMode REL = ReduceLrOnPlateau.ThresholdMode.REL;

    private static <S extends Record> List<Double> scales(Plateau<S> p, double... metrics) {
        List<Double> out = new ArrayList<>();
        S s = p.initial();
        for (double m : metrics) {
            s = p.observe(s, m);
            out.add(p.scale(s));                            // value after each metric
        }
        return out;
    }

    @Test
    void torchReducesOnThePatiencePlusFirstBadMetric() {
        // patience 2, constant metric: metric 1 sets best; metrics 2, 3 are bad 1, 2; metric 4 is bad 3 > 2 -> halve
        ReduceLrOnPlateau p = ReduceLrOnPlateau.torch(1.0, MIN, 0.5, 2, 0.0, REL, 0, 0.0, 1e-8);
        assertEquals(List.of(1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25), scales(p, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void optaxReducesOnThePatienceThBadMetric() {
        // Same metrics and patience: Optax's plateau count reaches 2 == patience on metric 3 -> one step earlier
        OptaxReduceOnPlateau p = new OptaxReduceOnPlateau(0.5, 2, 1e-4, 0.0, 0, 1, 0.0);
        assertEquals(List.of(1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125), scales(p, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void optaxZeroPatienceReducesEvenWhenImproving() {
        // Optax 0.2.8: after an improvement the count is 0 == patience, so it reduces on every evaluation
        OptaxReduceOnPlateau p = new OptaxReduceOnPlateau(0.5, 0, 1e-4, 0.0, 0, 1, 0.0);
        assertEquals(List.of(0.5, 0.25, 0.125), scales(p, 5, 4, 3));
        // ... and, once a bad metric lifts the count above 0, it never equals patience again until an improvement
        assertEquals(List.of(0.5, 0.5, 0.5, 0.25), scales(p, 5, 5, 5, 4));
        // PyTorch with patience 0 never reduces on improvement
        ReduceLrOnPlateau t = ReduceLrOnPlateau.torch(1.0, MIN, 0.5, 0, 1e-4, REL, 0, 0.0, 1e-8);
        assertEquals(List.of(1.0, 1.0, 1.0), scales(t, 5, 4, 3));
    }

    @Test
    void cooldownIgnoresBadMetricsAndMinLrAndEpsBoundTheValue() {
        // patience 0, cooldown 2: metric 2 is bad -> halve, counter 2; metrics 3, 4 spent in cooldown; 5 -> halve
        ReduceLrOnPlateau p = ReduceLrOnPlateau.torch(1.0, MIN, 0.5, 0, 0.0, REL, 2, 0.0, 1e-8);
        assertEquals(List.of(1.0, 0.5, 0.5, 0.5, 0.25), scales(p, 1, 1, 1, 1, 1));
        // min_lr 0.3: 0.5 then max(0.25, 0.3) = 0.3, then stays
        ReduceLrOnPlateau floor = ReduceLrOnPlateau.torch(1.0, MIN, 0.5, 0, 0.0, REL, 0, 0.3, 1e-8);
        assertEquals(List.of(1.0, 0.5, 0.3, 0.3), scales(floor, 1, 1, 1, 1));
        // eps: a drop from 1e-8 to 5e-9 is smaller than eps = 1e-8, so it is not applied
        ReduceLrOnPlateau tiny = ReduceLrOnPlateau.torch(1e-8, MIN, 0.5, 0, 0.0, REL, 0, 0.0, 1e-8);
        assertEquals(List.of(1e-8, 1e-8), scales(tiny, 1, 1));
    }

    @Test
    void maxModeAndAbsoluteThreshold() {
        // max, abs 0.5: 1 -> best; 1.4 is not > 1.5 (bad 1 > patience 0 -> halve); 2.0 > 1.5 improves
        ReduceLrOnPlateau p = ReduceLrOnPlateau.torch(1.0, ReduceLrOnPlateau.Mode.MAX, 0.5, 0, 0.5,
                ReduceLrOnPlateau.ThresholdMode.ABS, 0, 0.0, 1e-8);
        assertEquals(List.of(1.0, 0.5, 0.5), scales(p, 1, 1.4, 2.0));
    }

    @Test
    void optaxAccumulatesBeforeDecidingAndClampsAtMinScale() {
        // accumulation 2, patience 1: evaluations on metrics 2, 4, 6 with means 3, 3, 3 -> reduce at the 2nd
        OptaxReduceOnPlateau p = new OptaxReduceOnPlateau(0.5, 1, 1e-4, 0.0, 0, 2, 0.0);
        assertEquals(List.of(1.0, 1.0, 1.0, 0.5, 0.5, 0.25), scales(p, 2, 4, 3, 3, 3, 3));
        // patience 1, min_scale 0.3: 1 (first metric sets best), 0.5, then max(0.25, 0.3) = 0.3 in float32
        OptaxReduceOnPlateau floor = new OptaxReduceOnPlateau(0.5, 1, 1e-4, 0.0, 0, 1, 0.3);
        assertEquals(List.of(1.0, 0.5, (double) 0.3f, (double) 0.3f), scales(floor, 1, 1, 1, 1));
    }

    @Test
    void savedStateContinuesIdentically() {
        // A checkpoint writes the state's fields and reads them back; continuing from the copy equals not stopping.
        ReduceLrOnPlateau torch = ReduceLrOnPlateau.torch(0.1, MIN, 0.5, 2, 1e-2, REL, 1, 1e-3, 1e-8);
        OptaxReduceOnPlateau optax = new OptaxReduceOnPlateau(0.5, 2, 1e-2, 0.0, 1, 2, 0.01);
        qt().withFixedSeed(20261122L).withExamples(200)
                .forAll(lists().of(doubles().between(0, 2)).ofSizeBetween(1, 60), integers().between(0, 60))
                .checkAssert((metrics, cut) -> {
                    int k = Math.min(cut, metrics.size());
                    ReduceLrOnPlateau.State a = torch.initial();
                    OptaxReduceOnPlateau.State b = optax.initial();
                    ReduceLrOnPlateau.State a2 = null;
                    OptaxReduceOnPlateau.State b2 = null;
                    for (int i = 0; i < metrics.size(); i++) {
                        if (i == k) {
                            a2 = new ReduceLrOnPlateau.State(a.value(), a.best(), a.numBadEpochs(),
                                    a.cooldownCounter(), a.lastEpoch());
                            b2 = new OptaxReduceOnPlateau.State(b.scale(), b.bestValue(), b.plateauCount(),
                                    b.cooldownCount(), b.count(), b.avgValue());
                        }
                        a = torch.observe(a, metrics.get(i));
                        b = optax.observe(b, metrics.get(i));
                        if (a2 != null) {
                            a2 = torch.observe(a2, metrics.get(i));
                            b2 = optax.observe(b2, metrics.get(i));
                        }
                    }
                    if (a2 != null) {
                        assertEquals(a, a2);
                        assertEquals(b, b2);
                    }
                    assertTrue(a.value() <= 0.1 && a.value() >= 1e-3, "value stays in [min_lr, initial]");
                });
    }

    @Test
    void validationNamesTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReduceLrOnPlateau.torch(0.1, MIN, 1.0, 2, 1e-4, REL, 0, 0, 1e-8));
        assertTrue(e.getMessage().contains("ReduceLROnPlateau: factor = 1.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new OptaxReduceOnPlateau(0.5, 2, 0, 0, 0, 1, 0));
        e = assertThrows(IllegalArgumentException.class, () -> new OptaxReduceOnPlateau(0.5, -1, 1e-4, 0, 0, 1, 0));
        assertTrue(e.getMessage().contains("patience = -1"), e.getMessage());
    }
}
