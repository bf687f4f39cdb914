package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Derived;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.ParamReader;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.SignalBank;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.StateCodec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "momentum": the momentum knob (which multiplies 1 - beta1: below 1 is more momentum) against oscillation and
 * activation saturation, at most one change per cooldown (never shorter than the sign-change window).
 * <ul>
 *   <li>Oscillation (slope_sign_changes at least oscZ standard deviations above what white noise gives, by the
 *       turning-point test: m sign-change chances of an i.i.d. loss give mean 2m/3 and variance (16(m+2) - 29)/90;
 *       or update_cos below cosThreshold when measured): more momentum, knob x exp(-step). Minibatch losses are
 *       noise-dominated and the test runs every step, so the threshold is far out: at the default 3.5 a window of
 *       20 needs all 20 changes (a period-2 alternation), one of 62 needs 54. A larger beta1 raises the
 *       stability bound ((2 + 2 beta1) / (1 - beta1) for Adam, 2 + 2 beta1 for heavy ball; Cohen et al. 2022), so
 *       the change never moves the run toward instability.</li>
 *   <li>Saturation (saturation or dead_relu above satHigh, or attn_entropy below entropyLow): less momentum, knob x
 *       exp(step), so units pushed into flat regions stop being carried further; refused when eff_beta1 is not
 *       measured, or when the lower beta1 would put sharpness_ratio (rescaled to the new bound) at 1 or above.</li>
 *   <li>Neither for relax steps: one step back toward 1.</li>
 * </ul>
 */
public final class Momentum implements Controller<Momentum.State> {
    public static final String TYPE = "momentum";
    static final Set<String> FIELDS = Set.of("name", "priority", "osc_z", "cos_threshold", "sat_high",
            "entropy_low", "step", "cooldown", "relax", "family", "min_scale", "max_scale");

    public record Config(String name, int priority, double oscZ, double cosThreshold, double satHigh,
                         double entropyLow, double step, long cooldown, long relax, String family, double minScale,
                         double maxScale) {
        public static Config defaults() {
            return new Config(TYPE, 30, 3.5, -0.2, 0.5, 0.05, 0.1, 50, 200, "adam", 0.25, 4);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            Config c = new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("osc_z", d.oscZ, v -> v > 0, "(0, +inf)"),
                    r.num("cos_threshold", d.cosThreshold, v -> v >= -1 && v <= 1, "[-1, 1]"),
                    r.num("sat_high", d.satHigh, v -> v > 0 && v <= 1, "(0, 1]"),
                    r.num("entropy_low", d.entropyLow, v -> v >= 0 && v < 1, "[0, 1)"),
                    Ctl.step(r, "step", d.step), Ctl.steps(r, "cooldown", d.cooldown), Ctl.steps(r, "relax", d.relax),
                    r.choice("family", d.family, "adam", "sgd"),
                    r.num("min_scale", d.minScale, v -> v > 0, "(0, +inf)"),
                    r.num("max_scale", d.maxScale, v -> v > 0, "(0, +inf)"));
            if (c.minScale > c.maxScale) {
                throw r.error("min_scale", "must not exceed max_scale (" + c.maxScale + ")");
            }
            return c;
        }
    }

    /**
     * @param last      step of the last proposal
     * @param calmSince first step of the current run without oscillation or saturation
     */
    public record State(long last, long calmSince) {}

    private final Config c;

    public Momentum(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static Momentum create(Map<String, Object> params, String where) {
        return new Momentum(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("calm_since", StateCodec.lng(state.calmSince()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("last", "calm_since");
        return new State(r.l("last"), r.l("calm_since"));
    }

    @Override
    public State initial() {
        return new State(Ctl.NEVER, 0);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        double knob = knobs.get(Knob.MOMENTUM);
        boolean osc = false;
        if (Ctl.ok(s, Derived.SLOPE_SIGN_CHANGES) && Ctl.ok(s, Derived.SIGN_WINDOW)) {
            osc = turningPointZ(s.get(Derived.SLOPE_SIGN_CHANGES), s.get(Derived.SIGN_WINDOW)) >= c.oscZ;
        }
        if (Ctl.ok(s, Signals.UPDATE_COS)) {
            osc |= s.get(Signals.UPDATE_COS) < c.cosThreshold;
        }
        boolean sat = (Ctl.ok(s, Signals.SATURATION) && s.get(Signals.SATURATION) > c.satHigh)
                || (Ctl.ok(s, Signals.DEAD_RELU) && s.get(Signals.DEAD_RELU) > c.satHigh)
                || (Ctl.ok(s, Signals.ATTN_ENTROPY) && s.get(Signals.ATTN_ENTROPY) < c.entropyLow);
        long calmSince = osc || sat ? step + 1 : st.calmSince();
        long cooldown = Math.max(c.cooldown, (long) s.finiteOr(Derived.SIGN_WINDOW, 0));
        if (step - st.last() < cooldown) {               // the sign window must refill after a change
            return new Output<>(new State(st.last(), calmSince), List.of());
        }
        if (osc) {
            double target = Math.max(c.minScale, knob * StrictMath.exp(-c.step));
            if (target < knob) {
                return propose(step, calmSince, target, "the loss oscillates (" + Ctl.f(s.get(
                        Derived.SLOPE_SIGN_CHANGES)) + " sign changes in " + Ctl.f(s.get(Derived.SIGN_WINDOW))
                        + " steps, update cosine " + Ctl.f(s.get(Signals.UPDATE_COS)) + "): more momentum",
                        Ctl.ev(Derived.SLOPE_SIGN_CHANGES, s.get(Derived.SLOPE_SIGN_CHANGES), Derived.SIGN_WINDOW,
                                s.get(Derived.SIGN_WINDOW), "osc_z", c.oscZ, Signals.UPDATE_COS,
                                s.get(Signals.UPDATE_COS), "cos_threshold", c.cosThreshold));
            }
        } else if (sat) {
            double target = Math.min(c.maxScale, knob * StrictMath.exp(c.step));
            if (target > knob && stableWith(s, knob, target)) {
                return propose(step, calmSince, target, "activations saturate (saturation "
                        + Ctl.f(s.get(Signals.SATURATION)) + ", dead ReLU " + Ctl.f(s.get(Signals.DEAD_RELU))
                        + ", attention entropy " + Ctl.f(s.get(Signals.ATTN_ENTROPY)) + "): less momentum",
                        Ctl.ev(Signals.SATURATION, s.get(Signals.SATURATION), Signals.DEAD_RELU,
                                s.get(Signals.DEAD_RELU), Signals.ATTN_ENTROPY, s.get(Signals.ATTN_ENTROPY),
                                "sat_high", c.satHigh, "entropy_low", c.entropyLow,
                                Derived.SHARPNESS_RATIO, s.get(Derived.SHARPNESS_RATIO)));
            }
        } else if (step - calmSince >= c.relax && Math.abs(StrictMath.log(knob)) > 1e-12) {
            double target = knob > 1 ? Math.max(1, knob * StrictMath.exp(-c.step))
                    : Math.min(1, knob * StrictMath.exp(c.step));
            if (target < knob || stableWith(s, knob, target)) {
                return propose(step, calmSince, target, "no oscillation or saturation for " + (step - calmSince)
                        + " steps: momentum back toward the recipe's", Ctl.ev("calm_steps", step - calmSince,
                        "relax", c.relax));
            }
        }
        return new Output<>(new State(st.last(), calmSince), List.of());
    }

    /**
     * How far changes sign changes among window chances lie above white noise, in standard deviations: the
     * turning-point test for an i.i.d. series of window + 2 values (mean 2 window / 3, variance (16 (window + 2) - 29)
     * / 90; Kendall and Stuart).
     */
    static double turningPointZ(double changes, double window) {
        double mean = 2 * window / 3;
        double var = (16 * (window + 2) - 29) / 90;
        return (changes - mean) / Math.sqrt(var);
    }

    /**
     * True when moving the knob from knob to target (less momentum) keeps sharpness_ratio, rescaled from the current
     * beta1's bound to the new one's, below 1. Needs eff_beta1; without a curvature probe only the beta1 test holds.
     */
    boolean stableWith(Signals s, double knob, double target) {
        if (!Ctl.ok(s, Signals.EFF_BETA1)) {
            return false;
        }
        double b = s.get(Signals.EFF_BETA1);
        double bNew = 1 - (1 - b) * target / knob;
        if (!(bNew >= 0 && bNew < 1)) {
            return false;
        }
        if (!Ctl.ok(s, Derived.SHARPNESS_RATIO)) {
            return true;
        }
        String family = !Ctl.ok(s, Derived.SHARPNESS_PRECONDITIONED) ? c.family
                : s.get(Derived.SHARPNESS_PRECONDITIONED) == 1.0 ? "adam" : "sgd";     // the bound the ratio used
        double ratioNew = s.get(Derived.SHARPNESS_RATIO) * SignalBank.stabilityBound(family, b)
                / SignalBank.stabilityBound(family, bNew);
        return ratioNew < 1;
    }

    private Output<State> propose(long step, long calmSince, double target, String reason,
                                  Map<String, Double> ev) {
        return new Output<>(new State(step, calmSince), List.of(Proposal.set(c.name, Knob.MOMENTUM, target,
                c.priority, reason, ev)));
    }
}
