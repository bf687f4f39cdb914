package dev.tiller.optim.schedule;

import dev.tiller.optim.SgdHyper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Schedules drive hyperparameters other than the learning rate through the records' withX methods. */
class HyperScheduleTest {
    @Test
    void oneCycleDrivesSgdLrAndMomentum() {
        // OneCycle(max 1, T 10, div 4, final 5): t=0 lr 0.25 / momentum 0.95; t=2 peak lr 1 / momentum 0.85
        OneCycleLr oc = new OneCycleLr(1.0, 10, 0.3, OneCycleLr.Anneal.COS, true, 0.85, 0.95, 4, 5, false);
        HyperSchedule<SgdHyper> hs = HyperSchedule.of(oc, SgdHyper::withLr).and(oc.momentum(),
                SgdHyper::withMomentum);
        SgdHyper base = SgdHyper.of(0.1f).withMomentum(0.9f).withWeightDecay(1e-4f);
        SgdHyper h0 = hs.apply(base, 0);
        assertEquals(0.25f, h0.lr());
        assertEquals(0.95f, h0.momentum());
        assertEquals(1e-4f, h0.weightDecay());              // untouched fields keep their values
        SgdHyper h2 = hs.apply(base, 2);
        assertEquals(1.0f, h2.lr());
        assertEquals(0.85f, h2.momentum());
        assertEquals(0.9f, base.momentum());                // the input record is not changed
    }

    @Test
    void weightDecayAndMomentumCanFollowAnySchedule() {
        // weight decay halves every 3 steps; momentum warms up linearly 0.5 -> 0.9 over 4 steps (factor of 0.9)
        HyperSchedule<SgdHyper> hs = HyperSchedule.of(new StepLr(0.01, 3, 0.5), SgdHyper::withWeightDecay)
                .and(new LinearLr(0.9, 0.5 / 0.9, 1.0, 4), SgdHyper::withMomentum);
        SgdHyper h = hs.apply(SgdHyper.of(0.1f), 3);
        assertEquals(0.005f, h.weightDecay());
        assertEquals((float) (0.9 * (0.5 / 0.9 + (1 - 0.5 / 0.9) * 3 / 4)), h.momentum());
    }

    @Test
    void anOutOfRangeScheduledValueIsRejectedByTheRecord() {
        // a momentum schedule that reaches 1.0 violates SgdHyper's [0, 1) range at that step
        HyperSchedule<SgdHyper> hs = HyperSchedule.of(new LinearLr(1.0, 0.5, 1.0, 2), SgdHyper::withMomentum);
        assertEquals(0.5f, hs.apply(SgdHyper.of(0.1f), 0).momentum());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> hs.apply(SgdHyper.of(0.1f), 2));
        assertTrue(e.getMessage().startsWith("SGD: momentum = 1.0"), e.getMessage());
    }
}
