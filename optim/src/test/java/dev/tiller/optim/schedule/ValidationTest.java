package dev.tiller.optim.schedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Bad arguments fail at construction with a message naming the schedule, the argument, the value and the range. */
class ValidationTest {
    private static void fails(String message, Executable e) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, e).getMessage());
    }

    @Test
    void messagesAreExact() {
        fails("StepLR: stepSize = -3 is not allowed; allowed range [1, +inf)", () -> new StepLr(0.1, -3, 0.5));
        fails("StepLR: gamma = 1.5 is not allowed; allowed range (0, 1], finite", () -> new StepLr(0.1, 3, 1.5));
        fails("MultiStepLR: gamma = NaN is not allowed; allowed range (0, 1], finite",
                () -> new MultiStepLr(0.1, List.of(1L), Double.NaN));
        fails("MultiStepLR: milestones [5, 3] must be non-decreasing, but index 1 (3) follows 5; hint: sort them",
                () -> new MultiStepLr(0.1, List.of(5L, 3L), 0.1));
        fails("ExponentialLR: gamma = 0.0 is not allowed; allowed range (0, +inf), finite",
                () -> new ExponentialLr(0.1, 0));
        fails("LinearLR: startFactor = 0.0 is not allowed; allowed range (0, 1], finite",
                () -> new LinearLr(0.1, 0, 1, 5));
        fails("CosineAnnealingLR: tMax = 0 is not allowed; allowed range [1, +inf)",
                () -> new CosineAnnealingLr(0.1, 0, 0));
        fails("OneCycleLR: pctStart = 1.2 is not allowed; allowed range [0, 1], finite",
                () -> new OneCycleLr(0.1, 10, 1.2, OneCycleLr.Anneal.COS, true, 0.85, 0.95, 25, 1e4, false));
        fails("CyclicLR: stepSizeUp = 0 is not allowed; allowed range [1, +inf)", () -> CyclicLr.of(0.1, 1, 0));
        fails("StepLR: baseLr = Infinity is not allowed; allowed range (-inf, +inf), finite",
                () -> new StepLr(Double.POSITIVE_INFINITY, 3, 0.5));
        fails("schedule: step t = -1 is not allowed; allowed range [0, +inf)", () -> new StepLr(0.1, 3, 0.5).at(-1));
    }
}
