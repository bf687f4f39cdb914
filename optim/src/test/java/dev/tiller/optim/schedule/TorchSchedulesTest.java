package dev.tiller.optim.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PyTorch-style schedules against values derived by hand from torch.optim.lr_scheduler's rules. */
class TorchSchedulesTest {
    private static final double EPS = 1e-15;

    @Test
    void stepLrHalvesEveryStepSize() {
        // lr = 0.1 * 0.5^floor(t / 7): steps 0..6 -> 0.1, 7..13 -> 0.05, 35 -> 0.1 / 32 = 0.003125
        StepLr s = new StepLr(0.1, 7, 0.5);
        assertEquals(0.1, s.at(6), EPS);
        assertEquals(0.05, s.at(7), EPS);
        assertEquals(0.003125, s.at(35), EPS);
    }

    @Test
    void multiStepLrCountsRepeatedMilestonesTwice() {
        // PyTorch keeps milestones in a Counter: [2, 5, 5] multiplies by gamma once at 2 and twice at 5.
        MultiStepLr s = new MultiStepLr(1.0, List.of(2L, 5L, 5L), 0.1);
        assertEquals(1.0, s.at(1), EPS);
        assertEquals(0.1, s.at(2), EPS);
        assertEquals(0.1, s.at(4), EPS);
        assertEquals(0.001, s.at(5), 1e-18);
    }

    @Test
    void exponentialAndConstantLr() {
        assertEquals(0.25, new ExponentialLr(2.0, 0.5).at(3), EPS);      // 2 * 0.5^3
        ConstantLr c = new ConstantLr(0.3, 0.5, 4);                      // 0.15 for t < 4, then 0.3
        assertEquals(0.15, c.at(3), EPS);
        assertEquals(0.3, c.at(4), EPS);
        // total_iters = 0: PyTorch applies the factor at step 0 and never divides it out again
        assertEquals(0.15, new ConstantLr(0.3, 0.5, 0).at(9), EPS);
    }

    @Test
    void linearLrInterpolatesTheFactorAndHolds() {
        // factor = 0.25 + 0.75 * min(t, 3) / 3: t=0 -> 0.25, t=1 -> 0.5, t>=3 -> 1
        LinearLr s = new LinearLr(0.1, 0.25, 1.0, 3);
        assertEquals(0.025, s.at(0), EPS);
        assertEquals(0.05, s.at(1), EPS);
        assertEquals(0.1, s.at(3), EPS);
        assertEquals(0.1, s.at(100), EPS);
        // total_iters = 0: PyTorch's recursion never runs, so the start value stays
        assertEquals(0.025, new LinearLr(0.1, 0.25, 1.0, 0).at(50), EPS);
    }

    @Test
    void polynomialLrReachesZeroAtTotalIters() {
        // (1 - min(t, 4) / 4)^2: t=2 -> 0.25, t>=4 -> 0
        PolynomialLr s = new PolynomialLr(1.0, 4, 2.0);
        assertEquals(0.25, s.at(2), EPS);
        assertEquals(0.0, s.at(4), EPS);
        assertEquals(0.0, s.at(9), EPS);
    }

    @Test
    void cosineAnnealingIsPeriodicPastTMax() {
        // eta_min + (1 - eta_min)(1 + cos(pi t / 10)) / 2: quarter, half, 3/2 and full period
        CosineAnnealingLr s = new CosineAnnealingLr(1.0, 10, 0.0);
        assertEquals(0.5, s.at(5), 1e-15);
        assertEquals(0.0, s.at(10), 1e-15);
        assertEquals(0.5, s.at(15), 1e-15);
        assertEquals(1.0, s.at(20), 1e-15);
        assertEquals(0.1 + 0.9 * 0.5, new CosineAnnealingLr(1.0, 10, 0.1).at(5), 1e-15);
    }

    @Test
    void cosineAnnealingClosedFormMatchesPyTorchsRecursion() {
        // Replays CosineAnnealingLR.get_lr's chainable update (with its special case where 1 + cos vanishes) and
        // checks it against the closed form over three periods.
        double base = 0.1;
        double etaMin = 0.001;
        int tMax = 7;
        CosineAnnealingLr s = new CosineAnnealingLr(base, tMax, etaMin);
        double lr = base;                                   // initial step leaves the lr at base
        for (int t = 1; t <= 6 * tMax; t++) {
            if (Math.floorMod(t - 1 - tMax, 2 * tMax) == 0) {
                lr = lr + (base - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            } else {
                lr = (1 + Math.cos(Math.PI * t / tMax)) / (1 + Math.cos(Math.PI * (t - 1) / tMax)) * (lr - etaMin)
                        + etaMin;
            }
            assertEquals(lr, s.at(t), 1e-15, "step " + t);
        }
    }

    @Test
    void warmRestartsGrowTheCycle() {
        // T_0 = 5, T_mult = 2: cycles [0,5), [5,15), [15,35); restart at 5, 15, 35; half way at 10 (5 of 10)
        CosineAnnealingWarmRestarts s = new CosineAnnealingWarmRestarts(1.0, 5, 2, 0.0);
        assertEquals(1.0, s.at(5), EPS);
        assertEquals(0.5, s.at(10), 1e-15);
        assertEquals(1.0, s.at(15), EPS);
        assertEquals(0.5, s.at(25), 1e-15);                 // 10 of 20
        assertEquals(1.0, s.at(35), EPS);
        // T_mult = 1: t = 7 is step 2 of a 5-step cycle
        assertEquals((1 + Math.cos(Math.PI * 2 / 5)) / 2, new CosineAnnealingWarmRestarts(1.0, 5, 1, 0).at(7), EPS);
    }

    @Test
    void oneCycleTwoPhaseRisesToPeakThenAnnealsToMin() {
        // max 1, div 4 -> initial 0.25; final div 5 -> min 0.05. Phase ends: 0.3*10 - 1 = 2 and 9.
        OneCycleLr cos = new OneCycleLr(1.0, 10, 0.3, OneCycleLr.Anneal.COS, true, 0.85, 0.95, 4, 5, false);
        assertEquals(0.25, cos.at(0), EPS);
        assertEquals(0.625, cos.at(1), EPS);                // pct 1/2: (0.25 + 1) / 2
        assertEquals(1.0, cos.at(2), EPS);
        assertEquals(0.05, cos.at(9), 1e-15);
        Schedule m = cos.momentum();                        // inverse: 0.95 -> 0.85 at the peak -> 0.95
        assertEquals(0.95, m.at(0), EPS);
        assertEquals(0.85, m.at(2), EPS);
        assertEquals(0.95, m.at(9), EPS);
        OneCycleLr lin = new OneCycleLr(1.0, 10, 0.3, OneCycleLr.Anneal.LINEAR, true, 0.85, 0.95, 4, 5, false);
        assertEquals(1 + (0.05 - 1) * 2 / 7.0, lin.at(4), 1e-15);   // pct (4 - 2) / 7 of the way to min
    }

    @Test
    void oneCycleThreePhaseReturnsToInitialThenAnnihilates() {
        // Phase ends 2, 2*0.3*10 - 2 = 4, 9: back to 0.25 at 4, min at 9, momentum held at max in phase 3.
        OneCycleLr s = new OneCycleLr(1.0, 10, 0.3, OneCycleLr.Anneal.COS, true, 0.85, 0.95, 4, 5, true);
        assertEquals(1.0, s.at(2), EPS);
        assertEquals(0.625, s.at(3), EPS);
        assertEquals(0.25, s.at(4), EPS);
        assertEquals(0.05, s.at(9), 1e-15);
        assertEquals(0.95, s.momentum().at(6), EPS);
        s.at(10);                                            // PyTorch allows step == total_steps
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.at(11));
        assertTrue(e.getMessage().contains("past totalSteps = 10"), e.getMessage());
    }

    @Test
    void cyclicLrModes() {
        // up 2, down 3: L = 5, r = 0.4. t=1: x=0.2, s=0.5; t=2: s=1; t=3: x=0.6, s=(0.6-1)/(0.4-1)=2/3; t=5: new cycle
        CyclicLr tri = new CyclicLr(0.1, 0.5, 2, 3, CyclicLr.Mode.TRIANGULAR, 1.0, true, 0.8, 0.9);
        assertEquals(0.1, tri.at(0), EPS);
        assertEquals(0.3, tri.at(1), EPS);
        assertEquals(0.5, tri.at(2), EPS);
        assertEquals(0.1 + 0.4 * 2 / 3, tri.at(3), 1e-15);
        assertEquals(0.1, tri.at(5), 1e-15);
        assertEquals(0.9, tri.momentum().at(0), EPS);      // momentum inverse: max at the lr floor
        assertEquals(0.8, tri.momentum().at(2), 1e-15);
        // triangular2: cycle 2 peak (t = 7) has half the amplitude
        CyclicLr tri2 = new CyclicLr(0.1, 0.5, 2, 3, CyclicLr.Mode.TRIANGULAR2, 1.0, false, 0.8, 0.9);
        assertEquals(0.3, tri2.at(7), 1e-15);
        // exp_range: amplitude gamma^t, at the peak t = 2: 0.1 + 0.4 * 0.25
        CyclicLr exp = new CyclicLr(0.1, 0.5, 2, 3, CyclicLr.Mode.EXP_RANGE, 0.5, false, 0.8, 0.9);
        assertEquals(0.2, exp.at(2), 1e-15);
        assertThrows(IllegalStateException.class, exp::momentum);
    }
}
