package dev.tiller.policy.regime;

import dev.tiller.policy.regime.Decision.Change;
import dev.tiller.policy.regime.Decision.Rejection;
import dev.tiller.policy.regime.RegimeSpec.ArbiterSpec;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one step's proposals into a decision; pure and deterministic. The rules, in order:
 * <ol>
 *   <li>a ROLLBACK vetoes everything else: every other proposal is rejected ("vetoed by rollback");</li>
 *   <li>a SKIP skips the update; SET proposals are still judged, and their changes apply from the next update;</li>
 *   <li>per knob one change per decision: the highest priority wins, ties go to the earlier controller in the
 *       regime's order, the others are rejected;</li>
 *   <li>the winner is rejected when its target is not finite, when the knob changed less than its cooldown ago
 *       ("cooldown"), when the knob is frozen by the oscillation guard (it reversed direction maxReversals times
 *       within the last oscillationWindow steps; it thaws as those reversals leave the window), when clamping to the
 *       bounds and the maximum step ({@link KnobSpec#limit}) leaves nothing to change, or when the change is below
 *       the hysteresis, so tiny moves do not churn the log: |log(new/old)| < hysteresis, and for the additive
 *       anchor (where a log means nothing at 0) |new - old| < hysteresis x (max - min), the same fraction of its
 *       range.</li>
 * </ol>
 * A change is a reversal when its direction differs from the knob's previous change by the arbiter. Step numbers in
 * the reasons are 1-based (steps finished), as in the logs.
 */
public final class Arbiter {
    private final Map<Knob, KnobSpec> knobs;
    private final ArbiterSpec spec;

    public Arbiter(Map<Knob, KnobSpec> knobs, ArbiterSpec spec) {
        this.knobs = Map.copyOf(new EnumMap<>(knobs));
        this.spec = spec;
    }

    public static Arbiter of(RegimeSpec spec) {
        return new Arbiter(spec.knobs(), spec.arbiter());
    }

    /** One change of a knob: its step and direction (+1 up, -1 down). */
    public record Move(long step, int direction) {}

    /**
     * The arbiter's memory: per knob the step of its last change and its recent moves (those within the
     * oscillation window, plus the one before them, which tells whether the oldest in-window move was a reversal).
     */
    public record State(Map<Knob, Long> lastChange, Map<Knob, List<Move>> moves) {
        public State {
            lastChange = Map.copyOf(lastChange);
            Map<Knob, List<Move>> m = new EnumMap<>(Knob.class);
            moves.forEach((k, v) -> m.put(k, List.copyOf(v)));
            moves = Map.copyOf(m);
        }

        public static State initial() {
            return new State(Map.of(), Map.of());
        }

        /** Reversals of knob k at steps in (step - window, step]. */
        public int reversals(Knob k, long step, long window) {
            List<Move> ms = moves.getOrDefault(k, List.of());
            int n = 0;
            for (int i = 1; i < ms.size(); i++) {
                if (ms.get(i).direction() != ms.get(i - 1).direction() && ms.get(i).step() > step - window) {
                    n++;
                }
            }
            return n;
        }
    }

    /** The decision's knob values and log lines, whether to skip or roll back, and the arbiter's next state. */
    public record Result(State state, Knobs knobs, List<Change> changes, List<Rejection> rejections, boolean skip,
                         Proposal rollback, List<Proposal> accepted) {
        public Result {
            changes = List.copyOf(changes);
            rejections = List.copyOf(rejections);
            accepted = List.copyOf(accepted);
        }
    }

    public State initial() {
        return State.initial();
    }

    /** Decides step from proposals (in controller order) given the knob values in force and the arbiter's state. */
    public Result decide(long step, List<Proposal> proposals, Knobs current, State state) {
        List<Rejection> rejections = new ArrayList<>();
        Proposal rollback = null;
        for (Proposal p : proposals) {
            if (p.action() == Proposal.Action.ROLLBACK) {
                rollback = p;
                break;
            }
        }
        if (rollback != null) {
            for (Proposal p : proposals) {
                if (p != rollback) {
                    rejections.add(new Rejection(p, "vetoed by rollback (" + rollback.controller() + ")"));
                }
            }
            return new Result(state, current, List.of(), rejections, false, rollback, List.of(rollback));
        }
        List<Proposal> accepted = new ArrayList<>();
        boolean skip = false;
        for (Proposal p : proposals) {
            if (p.action() == Proposal.Action.SKIP) {
                skip = true;
                accepted.add(p);
            }
        }
        Knobs knobsNow = current;
        List<Change> changes = new ArrayList<>();
        for (Knob k : Knob.values()) {
            Proposal winner = null;
            for (Proposal p : proposals) {
                if (p.action() == Proposal.Action.SET && p.knob() == k
                        && (winner == null || p.priority() > winner.priority())) {
                    winner = p;
                }
            }
            if (winner == null) {
                continue;
            }
            for (Proposal p : proposals) {
                if (p.action() == Proposal.Action.SET && p.knob() == k && p != winner) {
                    rejections.add(new Rejection(p, "one change per knob: " + winner.controller() + " (priority "
                            + winner.priority() + ") wins " + k.key()));
                }
            }
            String why = judge(step, winner, current.get(k), state);
            if (why != null) {
                rejections.add(new Rejection(winner, why));
                continue;
            }
            double old = current.get(k);
            double now = knobs.get(k).limit(old, winner.target());
            Map<String, Double> evidence = new LinkedHashMap<>(winner.evidence());
            evidence.put("target", winner.target());
            changes.add(new Change(winner.controller(), k, old, now, winner.reason(), evidence));
            knobsNow = knobsNow.with(k, now);
            state = record(state, k, step, old, now);
            accepted.add(winner);
        }
        return new Result(state, knobsNow, changes, rejections, skip, null, accepted);
    }

    /** Why the winning SET proposal p must not change its knob from old, or null when it may. */
    private String judge(long step, Proposal p, double old, State state) {
        Knob k = p.knob();
        KnobSpec ks = knobs.get(k);
        if (!Double.isFinite(p.target())) {
            return "target not finite (" + p.target() + ")";
        }
        Long last = state.lastChange().get(k);
        if (last != null && step - last < ks.cooldown()) {
            return "cooldown: " + k.key() + " changed at step " + (last + 1) + ", cooldown " + ks.cooldown() + " steps";
        }
        int reversals = state.reversals(k, step, spec.oscillationWindow());
        if (reversals >= spec.maxReversals()) {
            return "oscillation guard: " + k.key() + " reversed " + reversals + " times in the last "
                    + spec.oscillationWindow() + " steps";
        }
        double now = ks.limit(old, p.target());
        double delta = ks.multiplicative() ? StrictMath.log(now / old) : now - old;
        if (delta == 0) {
            return now == p.target() ? "already at target" : "at bound " + k.key() + " = " + now;
        }
        double threshold = ks.multiplicative() ? spec.hysteresis() : spec.hysteresis() * (ks.max() - ks.min());
        if (Math.abs(delta) < threshold) {
            return "below hysteresis: |change| " + Math.abs(delta) + " < " + threshold;
        }
        return null;
    }

    /**
     * Notes that the regime's own rules (rollback, ramp, trial revert) moved knob k at step: its cooldown starts,
     * but the move is not a direction for the oscillation guard, which watches the controllers' changes.
     */
    public State recordForced(State state, Knob k, long step) {
        Map<Knob, Long> last = new EnumMap<>(Knob.class);
        last.putAll(state.lastChange());
        last.put(k, step);
        return new State(last, state.moves());
    }

    /** Notes that the arbiter moved knob k from old to now at step: its cooldown starts and the move is counted. */
    private State record(State state, Knob k, long step, double old, double now) {
        if (now == old) {
            return state;
        }
        Map<Knob, Long> last = new EnumMap<>(Knob.class);
        last.putAll(state.lastChange());
        last.put(k, step);
        List<Move> ms = new ArrayList<>(state.moves().getOrDefault(k, List.of()));
        ms.add(new Move(step, now > old ? 1 : -1));
        while (ms.size() >= 2 && ms.get(1).step() <= step - spec.oscillationWindow()) {
            ms.remove(0);          // ms[0] only tells whether ms[1] reversed; ms[1] has left the window
        }
        Map<Knob, List<Move>> moves = new EnumMap<>(Knob.class);
        moves.putAll(state.moves());
        moves.put(k, ms);
        return new State(last, moves);
    }
}
