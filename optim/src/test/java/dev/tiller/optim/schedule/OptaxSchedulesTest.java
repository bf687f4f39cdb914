package dev.tiller.optim.schedule;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Optax-style schedules (float32) against values derived by hand from optax/schedules/_schedule.py (0.2.8). */
class OptaxSchedulesTest {
    @Test
    void polynomialHoldsThenDecaysThenHolds() {
        // begin 2, T 4, power 2: t <= 2 -> 1; t = 3: (1 - 1/4)^2 = 0.5625; t >= 6 -> end 0
        PolynomialSchedule s = new PolynomialSchedule(1.0, 0.0, 2, 4, 2);
        assertEquals(1.0, s.at(2));
        assertEquals(0.5625, s.at(3));
        assertEquals(0.0, s.at(6));
        assertEquals(0.0, s.at(100));
        assertEquals(0.25, PolynomialSchedule.linear(0, 1, 4, 0).at(1));
        assertEquals(0.25, PolynomialSchedule.warmupConstant(0, 1, 4).at(1));
        assertEquals(1.0, PolynomialSchedule.warmupConstant(0, 1, 4).at(40));
        assertEquals((float) 0.7, new PolynomialSchedule(0.7, 0.0, 1, 0, 0).at(9));   // T <= 0: constant init
    }

    @Test
    void exponentialDecayStaircaseSmoothAndEndValue() {
        // begin 1, T 2, rate 0.5, staircase: p = floor((t - 1) / 2): t=2 -> p 0 -> 1; t=3 -> 0.5; t=5 -> 0.25
        ExponentialDecay stair = new ExponentialDecay(1.0, 2, 0.5, 1, true, null);
        assertEquals(1.0, stair.at(1));
        assertEquals(1.0, stair.at(2));
        assertEquals(0.5, stair.at(3));
        assertEquals(0.25, stair.at(5));
        // smooth: t=2 -> 0.5^(1/2), rounded to float32
        assertEquals((float) Math.sqrt(0.5), new ExponentialDecay(1.0, 2, 0.5, 1, false, null).at(2));
        // end_value is a floor when rate < 1 (0.25 clipped to 0.3) and a ceiling when rate > 1
        assertEquals((float) 0.3, new ExponentialDecay(1.0, 2, 0.5, 1, false, 0.3).at(5));
        assertEquals(3.0, new ExponentialDecay(1.0, 1, 2.0, 0, false, 3.0).at(10));
    }

    @Test
    void piecewiseConstantMultipliesScalesInBoundaryOrder() {
        // {4: 0.5, 2: 0.1}: t < 2 -> 1; 2 <= t < 4 -> 0.1; t >= 4 -> 0.1 * 0.5, each product rounded to float32
        PiecewiseConstantSchedule s = new PiecewiseConstantSchedule(1.0, Map.of(4L, 0.5, 2L, 0.1));
        assertEquals(1.0, s.at(1));
        assertEquals((float) 0.1, s.at(2));
        assertEquals(0.5f * (float) 0.1, s.at(4));
        assertThrows(IllegalArgumentException.class, () -> new PiecewiseConstantSchedule(1.0, Map.of(3L, -0.5)));
    }

    @Test
    void cosineDecayWithAlphaAndExponent() {
        // T = 4: t=2 is the midpoint, 0.5 (1 + cos(pi/2)) = 0.5 up to float32 cos(pi_f / 2) = -4.4e-8
        assertEquals(0.5, new CosineDecaySchedule(1.0, 4, 0.0, 1).at(2), 1e-7);
        // alpha 0.2: (1 - 0.2) * 0.5 + 0.2 = 0.6 at the midpoint, 0.2 from T on
        CosineDecaySchedule a = new CosineDecaySchedule(1.0, 4, 0.2, 1);
        assertEquals(0.6, a.at(2), 1e-7);
        assertEquals(0.2, a.at(4), 1e-7);
        assertEquals(0.2, a.at(40), 1e-7);
        // exponent 2: 0.8 * 0.5^2 + 0.2 = 0.4
        assertEquals(0.4, new CosineDecaySchedule(1.0, 4, 0.2, 2).at(2), 1e-7);
    }

    @Test
    void warmupCosineDecayIncludesTheWarmupInDecaySteps() {
        // warm-up 2 steps 0 -> 1; cosine over 6 - 2 = 4 steps to end 0.1 (alpha 0.1): t=4 -> 0.9 * 0.5 + 0.1
        Schedule s = CosineDecaySchedule.warmupCosine(0.0, 1.0, 2, 6, 0.1, 1.0);
        assertEquals(0.5, s.at(1), 1e-7);
        assertEquals(1.0, s.at(2), 1e-7);
        assertEquals(0.55, s.at(4), 1e-7);
        assertEquals(0.1, s.at(6), 1e-7);
        assertEquals(0.1, s.at(60), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> CosineDecaySchedule.warmupCosine(0, 1, 6, 6, 0, 1));
    }

    @Test
    void cosineOnecycleInterpolatesBetweenAccumulatedValues() {
        // T 20, pct 0.3 -> peak at 6; div 4 -> start 0.25; final div 5 -> end 0.25 * 4 / 20 = 0.05.
        // t=3 is half way up: (0.25 + 1) / 2; t=13 is half way down: (1 + 0.05) / 2
        CosineOnecycleSchedule s = new CosineOnecycleSchedule(20, 1.0, 0.3, 4, 5);
        assertEquals(0.25, s.at(0), 1e-7);
        assertEquals(0.625, s.at(3), 1e-7);
        assertEquals(1.0, s.at(6), 1e-7);
        assertEquals(0.525, s.at(13), 1e-7);
        assertEquals(0.05, s.at(20), 1e-7);
        assertEquals(0.05, s.at(99), 1e-7);
    }
}
