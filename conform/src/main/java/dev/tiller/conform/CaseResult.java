package dev.tiller.conform;

import java.util.List;

/** Outcome of one golden case: PASS, FAIL or SKIP with a detail (the worst element, or why it was skipped). */
public record CaseResult(Status status, String detail) {
    public enum Status { PASS, FAIL, SKIP }

    public static CaseResult pass(String detail) {
        return new CaseResult(Status.PASS, detail);
    }

    public static CaseResult fail(String detail) {
        return new CaseResult(Status.FAIL, detail);
    }

    public static CaseResult skip(String reason) {
        return new CaseResult(Status.SKIP, reason);
    }

    /** PASS or FAIL from a list of comparisons: the first failing one, else the worst passing one. */
    public static CaseResult of(List<Tolerance.Worst> checks) {
        Tolerance.Worst worst = null;
        for (Tolerance.Worst w : checks) {
            if (!w.pass()) {
                return fail(w.describe());
            }
            if (w.index() >= 0 && (worst == null || excess(w) > excess(worst))) {
                worst = w;
            }
        }
        return pass(worst == null ? "" : "worst " + worst.describe());
    }

    private static double excess(Tolerance.Worst w) {
        return Math.abs(w.actual() - w.expected()) - w.tolerance();
    }
}
