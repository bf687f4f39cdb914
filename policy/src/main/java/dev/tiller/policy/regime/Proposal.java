package dev.tiller.policy.regime;

import java.util.Map;

/**
 * What a controller asks for at one step; the arbiter alone decides. SET moves a knob toward target (the arbiter
 * clamps it); ROLLBACK asks to restore the newest known-good snapshot and vetoes every other proposal of the step;
 * SKIP asks not to apply this step's update. Higher priority wins when two controllers want the same knob. A SET
 * with trialSteps > 0 is provisional: after that many steps the arbiter keeps or reverts it against the loss trend
 * extrapolated from before it.
 */
public record Proposal(String controller, Action action, Knob knob, double target, int priority, long trialSteps,
                       String reason, Map<String, Double> evidence) {
    public enum Action { SET, ROLLBACK, SKIP }

    public Proposal {
        evidence = Map.copyOf(evidence);
        if ((action == Action.SET) != (knob != null)) {
            throw new IllegalArgumentException(controller + ": a SET proposal names a knob and only it does");
        }
    }

    public static Proposal set(String controller, Knob knob, double target, int priority, String reason,
                               Map<String, Double> evidence) {
        return new Proposal(controller, Action.SET, knob, target, priority, 0, reason, evidence);
    }

    public static Proposal rollback(String controller, String reason, Map<String, Double> evidence) {
        return new Proposal(controller, Action.ROLLBACK, null, Double.NaN, Integer.MAX_VALUE, 0, reason, evidence);
    }

    public static Proposal skip(String controller, String reason, Map<String, Double> evidence) {
        return new Proposal(controller, Action.SKIP, null, Double.NaN, Integer.MAX_VALUE, 0, reason, evidence);
    }
}
