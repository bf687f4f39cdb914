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
 * "curvature_cap": keeps the effective learning rate below the local quadratic stability bound. When
 * sharpness_ratio = hessian_top x eff_lr / bound exceeded 1 for k consecutive curvature probes, a cap of
 * margin x stable_lr (stable_lr = bound / hessian_top: 2 / lambda for SGD, 38 / lambda for Adam at beta1 = 0.9 on the
 * preconditioned sharpness) is armed and refreshed at every later probe; whenever eff_lr is above the cap the
 * controller proposes the LR knob that puts it at the cap, so after the change sharpness_ratio = margin &lt; 1.
 * Between probes the cap is held in effective-LR units, so a schedule that rises is capped as well.
 */
public final class CurvatureCap implements Controller<CurvatureCap.State> {
    public static final String TYPE = "curvature_cap";
    static final Set<String> FIELDS = Set.of("name", "priority", "k", "margin");

    public record Config(String name, int priority, int k, double margin) {
        public static Config defaults() {
            return new Config(TYPE, 100, 2, 0.8);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority), (int) r.integer("k", d.k, 1, 1000),
                    r.num("margin", d.margin, v -> v > 0 && v < 1, "(0, 1)"));
        }
    }

    /**
     * @param probes the sharpness_probes count last seen
     * @param lrCap  the cap on the effective LR, NaN until armed
     */
    public record State(long probes, double lrCap) {}

    private final Config c;

    public CurvatureCap(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static CurvatureCap create(Map<String, Object> params, String where) {
        return new CurvatureCap(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("probes", StateCodec.lng(state.probes()));
        m.put("lr_cap", StateCodec.num(state.lrCap()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("probes", "lr_cap");
        return new State(r.l("probes"), r.d("lr_cap"));
    }

    @Override
    public State initial() {
        return new State(0, Double.NaN);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        State next = st;
        if (Ctl.ok(s, Derived.SHARPNESS_PROBES) && s.get(Derived.SHARPNESS_PROBES) > st.probes()
                && Ctl.ok(s, Derived.STABLE_LR) && Ctl.ok(s, Derived.SHARPNESS_OVER)) {
            boolean armed = Double.isFinite(st.lrCap()) || s.get(Derived.SHARPNESS_OVER) >= c.k;
            next = new State((long) s.get(Derived.SHARPNESS_PROBES),
                    armed ? c.margin * s.get(Derived.STABLE_LR) : Double.NaN);
        }
        double cap = next.lrCap();
        if (!Double.isFinite(cap) || !Ctl.ok(s, Signals.EFF_LR)) {
            return new Output<>(next, List.of());
        }
        double lr = s.get(Signals.EFF_LR);
        double knob = knobs.get(Knob.LR);
        if (!(lr > cap) || !(knob > 0)) {
            return new Output<>(next, List.of());
        }
        double target = knob * cap / lr;
        return new Output<>(next, List.of(Proposal.set(c.name, Knob.LR, target, c.priority, "curvature: sharpness x lr"
                        + " was above the stability bound for " + c.k + "+ probes; cap the learning rate at "
                        + Ctl.f(c.margin) + " of bound/sharpness (" + Ctl.f(cap) + ", now " + Ctl.f(lr) + ")",
                Ctl.ev(Derived.SHARPNESS_RATIO, s.get(Derived.SHARPNESS_RATIO), Derived.STABLE_LR,
                        s.get(Derived.STABLE_LR), Signals.EFF_LR, lr, "lr_cap", cap, "margin", c.margin))));
    }
}
