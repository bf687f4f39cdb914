package dev.tiller.optim.golden;

import dev.tiller.tensor.io.CaseResult;
import dev.tiller.tensor.io.GoldenCase;

/** Runs golden "schedule" cases (PyTorch lr_scheduler classes and Optax schedules). */
public final class ScheduleCases {
    private ScheduleCases() {}

    /** Checks one case of kind "schedule". */
    public static CaseResult check(GoldenCase c) {
        return CaseResult.skip("schedule '" + c.string("schedule") + "' is not implemented yet (#4)");
    }
}
