package dev.tiller.cli.conform;

/** The result of one golden case: PASS, FAIL or SKIP, with the worst element or the reason. */
public record CaseOutcome(Status status, String detail) {
    public enum Status { PASS, FAIL, SKIP }

    public static CaseOutcome pass(String detail) {
        return new CaseOutcome(Status.PASS, detail);
    }

    public static CaseOutcome fail(String detail) {
        return new CaseOutcome(Status.FAIL, detail);
    }

    public static CaseOutcome skip(String reason) {
        return new CaseOutcome(Status.SKIP, reason);
    }
}
