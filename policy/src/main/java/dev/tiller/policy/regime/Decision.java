package dev.tiller.policy.regime;

import java.util.List;
import java.util.Map;

/**
 * What the regime decided at one step, made before that step's update: the knob values the update uses (changes
 * included), whether to skip the update, whether to roll back (rollbackTo is the snapshot's step, or -1), whether to
 * take a snapshot after the update, and everything for the event log.
 */
public record Decision(long step, Knobs knobs, List<Change> changes, List<Rejection> rejections, boolean skip,
                       long rollbackTo, boolean snapshot, List<Verdict> verdicts, Signals derived, String why) {
    public Decision {
        changes = List.copyOf(changes);
        rejections = List.copyOf(rejections);
        verdicts = List.copyOf(verdicts);
    }

    /** A knob change: one line of events.jsonl. */
    public record Change(String controller, Knob knob, double old, double now, String reason,
                         Map<String, Double> evidence) {}

    /** A proposal the arbiter turned down, with why (bound, cooldown, hysteresis, oscillation guard, veto, ...). */
    public record Rejection(Proposal proposal, String why) {}

    /** The end of a trial: kept or reverted, with the comparison that decided it. */
    public record Verdict(String controller, Knob knob, boolean kept, String reason, Map<String, Double> evidence) {}

    public boolean rollback() {
        return rollbackTo >= 0;
    }
}
