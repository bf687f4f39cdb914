package dev.tiller.optim.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

/** Composition laws: sequence, product, plateau on top of a schedule. */
class CompositionTest {
    @Test
    void sequenceSwitchesAtTheMilestoneAndRestartsTheNextPartFromZero() {
        // PyTorch's SequentialLR(LinearLR(0.01, 5), CosineAnnealingLR(30, 1e-4), milestones=[5]):
        // steps 0..4 from the warm-up, step 5 is the cosine's step 0 (= base lr), step 5 + k its step k.
        LinearLr warm = new LinearLr(0.1, 0.01, 1.0, 5);
        CosineAnnealingLr cos = new CosineAnnealingLr(0.1, 30, 1e-4);
        Schedule s = Schedule.sequence(List.of(warm, cos), 5);
        assertEquals(warm.at(4), s.at(4));
        assertEquals(0.1, s.at(5));
        assertEquals(cos.at(0), s.at(5));
        assertEquals(cos.at(7), s.at(12));
        // three parts
        Schedule three = Schedule.sequence(List.of(Schedule.constant(1), Schedule.constant(2),
                new ExponentialLr(4, 0.5)), 3, 6);
        assertEquals(1, three.at(2));
        assertEquals(2, three.at(3));
        assertEquals(2, three.at(5));
        assertEquals(4, three.at(6));
        assertEquals(2, three.at(7));
    }

    @Test
    void productOfConstantsIsTheirProductAndScaledMultiplies() {
        qt().withFixedSeed(20261122L).withExamples(200)
                .forAll(doubles().between(-10, 10), doubles().between(-10, 10), integers().between(0, 1000))
                .checkAssert((a, b, t) -> {
                    assertEquals(a * b, Schedule.constant(a).times(Schedule.constant(b)).at(t));
                    assertEquals(a * b, Schedule.constant(a).scaled(b).at(t));
                });
        // a product of a schedule with constant 1 is the schedule
        StepLr step = new StepLr(0.1, 3, 0.5);
        for (long t = 0; t < 20; t++) {
            assertEquals(step.at(t), step.times(Schedule.constant(1)).at(t));
        }
    }

    @Test
    void sequenceRejectsBadMilestones() {
        List<Schedule> two = List.of(Schedule.constant(1), Schedule.constant(2));
        List<Schedule> three = List.of(Schedule.constant(1), Schedule.constant(2), Schedule.constant(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedule.sequence(three, 6, 3));
        assertTrue(e.getMessage().contains("must be strictly increasing"), e.getMessage());
        assertTrue(e.getMessage().contains("[6, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedule.sequence(three, 4, 4));
        e = assertThrows(IllegalArgumentException.class, () -> Schedule.sequence(two, 3, 5));
        assertTrue(e.getMessage().contains("one milestone fewer than schedules"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedule.sequence(two, -1));
    }

    @Test
    void plateauMultiplierOnTopOfWarmupAndCosine() {
        // The composition PyTorch rejects: warm-up + cosine, halved after the (1 + 1)-th stalled metric.
        Schedule warmCos = Schedule.sequence(List.of(new LinearLr(0.1, 0.1, 1.0, 4),
                new CosineAnnealingLr(0.1, 20, 0.0)), 4);
        PlateauSchedule<ReduceLrOnPlateau.State> lr = new PlateauSchedule<>(warmCos,
                ReduceLrOnPlateau.multiplier(ReduceLrOnPlateau.Mode.MIN, 0.5, 1, 0.0,
                        ReduceLrOnPlateau.ThresholdMode.ABS, 0, 0.0));
        ReduceLrOnPlateau.State s = lr.plateau().initial();
        double[] metrics = {3, 2, 2, 2, 1};                 // improvement, improvement, bad, bad (-> halve), ...
        for (int t = 0; t < metrics.length; t++) {
            double expectedScale = t <= 3 ? 1.0 : 0.5;     // scale in effect before metric t is fed
            assertEquals(warmCos.at(t) * expectedScale, lr.at(t, s), 1e-15, "step " + t);
            assertEquals(lr.at(t, s), lr.bind(s).at(t));
            s = lr.plateau().observe(s, metrics[t]);
        }
    }
}
