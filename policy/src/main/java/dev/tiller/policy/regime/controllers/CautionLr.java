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
 * "caution_lr": more conservative learning-rate steps while the run is noisier than usual. Risk is the larger of
 * loss_z_rms and grad_norm_z_rms (about 1 on stationary noise: the recent variance over the long-run variance). Above
 * high for persist consecutive steps (never fewer than the rms EMA's time constant z_rms_tau: a rise, not the tail of
 * one spike, which the rms carries for about that long and the spike controller answers): LR down by step, at most
 * once per cooldown (never shorter than z_rms_tau), the total reduction at most -ln(floor). After quiet consecutive
 * steps with risk below low, the reduction that took effect is given back one step at a time. Missing risk signals:
 * no proposal.
 */
public final class CautionLr implements Controller<CautionLr.State> {
    public static final String TYPE = "caution_lr";
    static final Set<String> FIELDS = Set.of("name", "priority", "high", "low", "step", "floor", "cooldown", "quiet",
            "persist");

    public record Config(String name, int priority, double high, double low, double step, double floor,
                         long cooldown, long quiet, long persist) {
        public static Config defaults() {
            return new Config(TYPE, 60, 2.0, 1.3, 0.1, 0.5, 20, 50, 10);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            Config c = new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("high", d.high, v -> v > 0, "(0, +inf)"), r.num("low", d.low, v -> v > 0, "(0, +inf)"),
                    Ctl.step(r, "step", d.step), r.num("floor", d.floor, v -> v > 0 && v <= 1, "(0, 1]"),
                    Ctl.steps(r, "cooldown", d.cooldown), Ctl.steps(r, "quiet", d.quiet),
                    Ctl.steps(r, "persist", d.persist));
            if (c.low > c.high) {
                throw r.error("low", "must not exceed high (" + c.high + ")");
            }
            return c;
        }
    }

    /**
     * @param last      step of the last proposal
     * @param reduced   reduction in force (log units), as observed in the knob
     * @param pendingLr the LR knob when a reduction was proposed, until the next step shows whether it took effect
     * @param quietRun  consecutive steps with risk below low
     * @param highRun   consecutive steps with risk above high
     */
    public record State(long last, double reduced, double pendingLr, long quietRun, long highRun) {}

    private final Config c;

    public CautionLr(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static CautionLr create(Map<String, Object> params, String where) {
        return new CautionLr(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("reduced", StateCodec.num(state.reduced()));
        m.put("pending_lr", StateCodec.num(state.pendingLr()));
        m.put("quiet_run", StateCodec.lng(state.quietRun()));
        m.put("high_run", StateCodec.lng(state.highRun()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("last", "reduced", "pending_lr", "quiet_run", "high_run");
        return new State(r.l("last"), r.d("reduced"), r.d("pending_lr"), r.l("quiet_run"), r.l("high_run"));
    }

    @Override
    public State initial() {
        return new State(Ctl.NEVER, 0, Double.NaN, 0, 0);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        double lr = knobs.get(Knob.LR);
        double reduced = st.reduced();
        if (Double.isFinite(st.pendingLr()) && lr < st.pendingLr()) {
            reduced += Math.min(c.step, StrictMath.log(st.pendingLr() / lr));
        }
        boolean haveLoss = Ctl.ok(s, Derived.LOSS_Z_RMS);
        boolean haveGrad = Ctl.ok(s, Derived.GRAD_NORM_Z_RMS);
        if (!haveLoss && !haveGrad) {
            return new Output<>(new State(st.last(), reduced, Double.NaN, 0, 0), List.of());
        }
        double risk = Math.max(haveLoss ? s.get(Derived.LOSS_Z_RMS) : 0, haveGrad ? s.get(Derived.GRAD_NORM_Z_RMS) : 0);
        long quietRun = risk < c.low ? st.quietRun() + 1 : 0;
        long highRun = risk > c.high ? st.highRun() + 1 : 0;
        double tau = s.finiteOr(Derived.Z_RMS_TAU, 0);
        long cooldown = Math.max(c.cooldown, (long) Math.ceil(tau));
        long persist = Math.max(c.persist, (long) Math.ceil(tau));
        boolean cool = step - st.last() >= cooldown;       // the rms must have seen the last change's effect
        double room = -StrictMath.log(c.floor) - reduced;
        if (highRun >= persist && cool && room > 1e-12) {
            double target = lr * StrictMath.exp(-Math.min(c.step, room));
            return new Output<>(new State(step, reduced, lr, quietRun, highRun), List.of(Proposal.set(c.name, Knob.LR,
                    target, c.priority, "loss/gradient-norm z-scores risen (rms " + Ctl.f(risk) + " above "
                            + Ctl.f(c.high) + " for " + highRun + " steps): smaller learning-rate steps",
                    Ctl.ev("risk", risk, "high", c.high, "high_steps", highRun, Derived.LOSS_Z_RMS,
                            s.get(Derived.LOSS_Z_RMS), Derived.GRAD_NORM_Z_RMS, s.get(Derived.GRAD_NORM_Z_RMS),
                            "reduced", reduced))));
        }
        if (quietRun >= c.quiet && cool && reduced > 1e-12) {
            double up = Math.min(c.step, reduced);
            return new Output<>(new State(step, reduced - up, Double.NaN, 0, highRun), List.of(Proposal.set(c.name,
                    Knob.LR, lr * StrictMath.exp(up), c.priority, "calm again for " + quietRun + " steps (rms "
                            + Ctl.f(risk) + " below " + Ctl.f(c.low) + "): give back " + Ctl.f(StrictMath.exp(up))
                            + "x of the caution",
                    Ctl.ev("risk", risk, "low", c.low, "quiet_steps", quietRun, "reduced", reduced))));
        }
        return new Output<>(new State(st.last(), reduced, Double.NaN, quietRun, highRun), List.of());
    }
}
