package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.ParamReader;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.StateCodec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "weight_decay": the weight-decay knob against the generalisation gap, at most one change per cooldown (default 200
 * steps, longer than the validation smoothing, so a raise shows in the gap before the next). The gap target is
 * gapTarget, scaled by (paramCount / referenceParams)^paramExponent when param_count is given: the tie to model size
 * is a documented param, off by default (exponent 0), since no published rule fixes its constant. Gap above target
 * and wider than at the last raise: weight decay up by step, at most maxScale. Gap below half the target: one step
 * back toward 1. No gap signal: no proposal.
 */
public final class WeightDecay implements Controller<WeightDecay.State> {
    public static final String TYPE = "weight_decay";
    static final Set<String> FIELDS = Set.of("name", "priority", "gap_target", "step", "cooldown", "max_scale",
            "param_count", "reference_params", "param_exponent");

    public record Config(String name, int priority, double gapTarget, double step, long cooldown, double maxScale,
                         double paramCount, double referenceParams, double paramExponent) {
        public static Config defaults() {
            return new Config(TYPE, 20, 0.05, 0.1, 200, 4, 0, 1e6, 0);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("gap_target", d.gapTarget, v -> v > 0, "(0, +inf)"), Ctl.step(r, "step", d.step),
                    Ctl.steps(r, "cooldown", d.cooldown), r.num("max_scale", d.maxScale, v -> v >= 1, "[1, +inf)"),
                    r.num("param_count", d.paramCount, v -> v >= 0, "[0, +inf) (0: unknown)"),
                    r.num("reference_params", d.referenceParams, v -> v > 0, "(0, +inf)"),
                    r.num("param_exponent", d.paramExponent, v -> v >= -1 && v <= 1, "[-1, 1]"));
        }

        /** The gap that counts as overfitting for this model. */
        public double target() {
            return paramCount > 0 ? gapTarget * StrictMath.pow(paramCount / referenceParams, paramExponent) : gapTarget;
        }
    }

    /**
     * @param last    step of the last proposal
     * @param gapLast the gap at the last raise (a further raise needs a wider gap), NaN when none
     */
    public record State(long last, double gapLast) {}

    private final Config c;

    public WeightDecay(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static WeightDecay create(Map<String, Object> params, String where) {
        return new WeightDecay(Config.read(new ParamReader(params, where, FIELDS)));
    }

    public Config config() {
        return c;
    }

    @Override
    public String name() {
        return c.name;
    }

    @Override
    public Map<String, Object> encodeState(State state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("last", StateCodec.lng(state.last()));
        m.put("gap_last", StateCodec.num(state.gapLast()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("last", "gap_last");
        return new State(r.l("last"), r.d("gap_last"));
    }

    @Override
    public State initial() {
        return new State(Ctl.NEVER, Double.NaN);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        if (!Ctl.ok(s, Derived.GAP) || step - st.last() < c.cooldown) {
            return new Output<>(st, List.of());
        }
        double gap = s.get(Derived.GAP);
        double wd = knobs.get(Knob.WEIGHT_DECAY);
        double target = c.target();
        if (gap > target && (Double.isNaN(st.gapLast()) || gap > st.gapLast())) {
            double t = Math.min(c.maxScale, wd * StrictMath.exp(c.step));
            if (t > wd) {
                return new Output<>(new State(step, gap), List.of(Proposal.set(c.name, Knob.WEIGHT_DECAY, t,
                        c.priority, "validation gap " + Ctl.f(gap) + " above " + Ctl.f(target)
                                + " and widening: more weight decay",
                        Ctl.ev(Derived.GAP, gap, "gap_target", target, "gap_last", st.gapLast(), "step", c.step))));
            }
        }
        if (gap < target / 2 && wd > 1) {
            double t = Math.max(1, wd * StrictMath.exp(-c.step));
            return new Output<>(new State(step, Double.NaN), List.of(Proposal.set(c.name, Knob.WEIGHT_DECAY, t,
                    c.priority, "validation gap " + Ctl.f(gap) + " below half of " + Ctl.f(target)
                            + ": weight decay back toward the recipe's",
                    Ctl.ev(Derived.GAP, gap, "gap_target", target, "step", c.step))));
        }
        return new Output<>(st, List.of());
    }
}
