package dev.tiller.policy.regime.controllers;

import dev.tiller.optim.schedule.ReduceLrOnPlateau;
import dev.tiller.policy.regime.Controller;
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
 * "reduce_on_plateau": PyTorch's torch.optim.lr_scheduler.ReduceLROnPlateau in mode "min", acting on the LR knob
 * (a scale of the recipe's schedule), so a baseline with the schedule times this rule is the schedule that
 * practitioners reach for. It acts only at evaluations: a step whose signals carry {@link Signals#VAL_LOSS} (the
 * value itself, unsmoothed, as PyTorch is handed it). At each, in PyTorch's order:
 * <ol>
 *   <li>the value is better when it is below best x (1 - threshold) (threshold_mode "rel") or below best - threshold
 *       ("abs"); then best = value and bad = 0, else bad + 1 (best starts at +infinity; a NaN is never better, so
 *       it counts as a bad evaluation, as in PyTorch);</li>
 *   <li>while cooldown evaluations remain, one is used up and bad = 0;</li>
 *   <li>when bad exceeds patience: the knob's new value is max(knob x factor, min_lr), proposed only when it lowers
 *       the knob by more than eps; either way cooldown = the configured cooldown and bad = 0.</li>
 * </ol>
 * patience and cooldown count evaluations, min_lr and eps are in knob units (scales of the schedule). The arbiter
 * still clamps: the regime file must let a cut of factor through in one decision (knob max_step at least
 * -ln(factor), hysteresis below it, no knob cooldown between evaluations), as the "plateau" preset does.
 */
public final class ReduceOnPlateau implements Controller<ReduceOnPlateau.State> {
    public static final String TYPE = "reduce_on_plateau";
    static final Set<String> FIELDS = Set.of("name", "priority", "factor", "patience", "threshold", "threshold_mode",
            "cooldown", "min_lr", "eps");

    /** PyTorch's parameters; relative is threshold_mode "rel" (false: "abs"). */
    public record Config(String name, int priority, double factor, long patience, double threshold, boolean relative,
                         long cooldown, double minLr, double eps) {
        /** PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4 relative, cooldown 0, min_lr 0, eps 1e-8. */
        public static Config defaults() {
            return new Config(TYPE, 40, 0.1, 10, 1e-4, true, 0, 0, 1e-8);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("factor", d.factor, v -> v > 0 && v < 1, "(0, 1)"),
                    r.integer("patience", d.patience, 0, Integer.MAX_VALUE - 1),
                    r.num("threshold", d.threshold, v -> v >= 0, "[0, +inf)"),
                    "rel".equals(r.choice("threshold_mode", "rel", "rel", "abs")),
                    r.integer("cooldown", d.cooldown, 0, Integer.MAX_VALUE),
                    r.num("min_lr", d.minLr, v -> v >= 0, "[0, +inf) (a scale of the schedule)"),
                    r.num("eps", d.eps, v -> v >= 0, "[0, +inf)"));
        }
    }

    /**
     * PyTorch's counters: best value so far (+infinity before the first evaluation), bad evaluations in a row since
     * the last improvement or reduction, cooldown evaluations left.
     */
    public record State(double best, long bad, long cooldownLeft) {}

    private final Config c;
    private final ReduceLrOnPlateau rule;

    public ReduceOnPlateau(Config c) {
        this.c = c;
        this.rule = rule(c);
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static ReduceOnPlateau create(Map<String, Object> params, String where) {
        return new ReduceOnPlateau(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("best", StateCodec.num(state.best()));
        m.put("bad", StateCodec.lng(state.bad()));
        m.put("cooldown_left", StateCodec.lng(state.cooldownLeft()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("best", "bad", "cooldown_left");
        return new State(r.d("best"), r.l("bad"), r.l("cooldown_left"));
    }

    @Override
    public State initial() {
        return new State(Double.POSITIVE_INFINITY, 0, 0);
    }

    /** The optim layer's explicit-state ReduceLROnPlateau (conform-checked against PyTorch), on the LR knob. */
    private static ReduceLrOnPlateau rule(Config c) {
        return new ReduceLrOnPlateau(ReduceLrOnPlateau.Mode.MIN, c.factor, (int) c.patience, c.threshold,
                c.relative ? ReduceLrOnPlateau.ThresholdMode.REL : ReduceLrOnPlateau.ThresholdMode.ABS,
                (int) c.cooldown, c.minLr, c.eps, 1.0);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        if (!s.has(Signals.VAL_LOSS)) {
            return new Output<>(st, List.of());
        }
        double value = s.get(Signals.VAL_LOSS);
        double old = knobs.get(Knob.LR);
        ReduceLrOnPlateau.State after = rule.observe(new ReduceLrOnPlateau.State(old, st.best(),
                (int) Math.min(st.bad(), Integer.MAX_VALUE), (int) st.cooldownLeft(), 0), value);
        State next = new State(after.best(), after.numBadEpochs(), after.cooldownCounter());
        double target = after.value();
        if (!(target < old)) {
            return new Output<>(next, List.of());       // no cut (PyTorch also resets the counters after a tiny one)
        }
        double best = after.best();
        long badSeen = c.patience + 1;                  // a cut comes on the first evaluation past patience
        return new Output<>(next, List.of(Proposal.set(c.name, Knob.LR, target, c.priority, "validation loss "
                + Ctl.f(value) + " has not improved on " + Ctl.f(best) + " for " + badSeen + " evaluations (patience "
                + c.patience + "): learning rate x " + Ctl.f(target / old),
                Ctl.ev(Signals.VAL_LOSS, value, "best", best, "bad_evals", badSeen, "patience", c.patience,
                        "factor", c.factor, "min_lr", c.minLr))));
    }
}
