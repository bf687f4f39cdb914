package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.ParamReader;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.StateCodec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "shift": on a distribution shift (shift = 1 from the Page-Hinkley detectors), a temporary, bounded rise of the
 * learning rate to adapt to the new domain, and a pull toward the pre-shift weights (the anchor knob: each step
 * theta -= anchor (theta - theta_anchor)) to limit forgetting of the old one. After hold steps both are released
 * gradually, every releaseEvery steps: the LR by release (log units) down to its pre-shift value, the anchor by
 * anchorRelease (log units) down to anchorFloor, then to 0.
 * <p>
 * Stability: anchor is in (0, 1), so the pull is a contraction toward the anchor (|1 - anchor| &lt; 1); the LR rise
 * is at most boost (log units) and, when a curvature probe measured sharpness_ratio, at most ln(maxSharpness /
 * sharpness_ratio), so the raised LR stays below the stability bound; release is monotone, so the total variation of
 * the episode is at most 2 x boost.
 */
public final class Shift implements Controller<Shift.State> {
    public static final String TYPE = "shift";
    static final Set<String> FIELDS = Set.of("name", "priority", "boost", "anchor", "hold", "release",
            "anchor_release", "release_every", "anchor_floor", "max_sharpness");

    public record Config(String name, int priority, double boost, double anchor, long hold, double release,
                         double anchorRelease, long releaseEvery, double anchorFloor, double maxSharpness) {
        public static Config defaults() {
            return new Config(TYPE, 50, 0.3, 0.01, 50, 0.1, 0.5, 20, 1e-4, 0.8);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority), Ctl.step(r, "boost", d.boost),
                    r.num("anchor", d.anchor, v -> v > 0 && v < 1, "(0, 1) (a contraction)"),
                    Ctl.steps(r, "hold", d.hold), Ctl.step(r, "release", d.release),
                    Ctl.step(r, "anchor_release", d.anchorRelease),
                    r.integer("release_every", d.releaseEvery, 1, Long.MAX_VALUE / 8),
                    r.num("anchor_floor", d.anchorFloor, v -> v > 0 && v < 1, "(0, 1)"),
                    r.num("max_sharpness", d.maxSharpness, v -> v > 0 && v < 1, "(0, 1)"));
        }
    }

    /**
     * @param active   an episode is on (raised or releasing)
     * @param since    step of the detection that started or re-armed the episode
     * @param lrBefore the LR knob before the episode, the level the release returns to
     * @param last     step of the last release proposal
     */
    public record State(boolean active, long since, double lrBefore, long last) {}

    private final Config c;

    public Shift(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static Shift create(Map<String, Object> params, String where) {
        return new Shift(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("active", state.active());
        m.put("since", StateCodec.lng(state.since()));
        m.put("lr_before", StateCodec.num(state.lrBefore()));
        m.put("last", StateCodec.lng(state.last()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("active", "since", "lr_before", "last");
        return new State(r.b("active"), r.l("since"), r.d("lr_before"), r.l("last"));
    }

    @Override
    public State initial() {
        return new State(false, Ctl.NEVER, Double.NaN, Ctl.NEVER);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        double lr = knobs.get(Knob.LR);
        double anchor = knobs.get(Knob.ANCHOR);
        List<Proposal> out = new ArrayList<>();
        if (Ctl.ok(s, Derived.SHIFT) && s.get(Derived.SHIFT) == 1.0) {
            double before = st.active() ? st.lrBefore() : lr;
            double boost = c.boost;
            if (Ctl.ok(s, Derived.SHARPNESS_RATIO) && s.get(Derived.SHARPNESS_RATIO) > 0) {
                boost = Math.min(boost, StrictMath.log(c.maxSharpness / s.get(Derived.SHARPNESS_RATIO)));
            }
            double target = before * StrictMath.exp(boost);
            var ev = Ctl.ev(Derived.SHIFT_PH, s.get(Derived.SHIFT_PH), "boost", boost, "anchor", c.anchor,
                    Derived.SHARPNESS_RATIO, s.get(Derived.SHARPNESS_RATIO));
            if (target > lr) {
                out.add(Proposal.set(c.name, Knob.LR, target, c.priority, "distribution shift detected (Page-Hinkley "
                        + Ctl.f(s.get(Derived.SHIFT_PH)) + "): raise the learning rate " + Ctl.f(StrictMath.exp(boost))
                        + "x for the new data", ev));
            }
            out.add(Proposal.set(c.name, Knob.ANCHOR, c.anchor, c.priority, "distribution shift detected: pull toward"
                    + " the pre-shift weights with strength " + Ctl.f(c.anchor) + " to limit forgetting", ev));
            return new Output<>(new State(true, step, before, step), out);
        }
        if (!st.active() || step - st.since() < c.hold || step - st.last() < c.releaseEvery) {
            return new Output<>(st, out);
        }
        boolean lrHigh = lr > st.lrBefore() * (1 + 1e-9);
        if (!lrHigh && anchor == 0) {
            return new Output<>(new State(false, st.since(), Double.NaN, st.last()), out);
        }
        if (lrHigh) {
            double t = Math.max(st.lrBefore(), lr * StrictMath.exp(-c.release));
            out.add(Proposal.set(c.name, Knob.LR, t, c.priority, "shift episode: release the raised learning rate"
                    + " toward its pre-shift value", Ctl.ev("lr_before", st.lrBefore(), "release", c.release)));
        }
        if (anchor > 0) {
            double a = anchor * StrictMath.exp(-c.anchorRelease);
            out.add(Proposal.set(c.name, Knob.ANCHOR, a < c.anchorFloor ? 0 : a, c.priority, "shift episode: release"
                    + " the anchor pull", Ctl.ev("anchor", anchor, "anchor_release", c.anchorRelease)));
        }
        return new Output<>(new State(true, st.since(), st.lrBefore(), step), out);
    }
}
