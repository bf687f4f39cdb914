package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.ParamReader;
import dev.tiller.policy.regime.Proposal;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.StateCodec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "zclip": the clip threshold from the gradient-norm history by ZClip's z-score rule (Kumar et al. 2025, arXiv
 * 2504.02507; the optim layer's ZClip). The statistics follow ZClip exactly: the first warmupSteps finite norms give
 * the mean and population variance; after that, each norm g has z = (g - mean) / (std + eps), a spike (z > zThresh)
 * enters as its adaptive threshold (mean + zThresh std / (z / zThresh)) x clipFactor, and
 * mean = alpha mean + (1 - alpha) x, var = alpha var + (1 - alpha) (x - mean)^2 with the new mean. The knob's target
 * is the level above which ZClip clips, (mean + zThresh std) x clipFactor, divided by the recipe's threshold
 * (eff_clip / knob when eff_clip is measured, else base_clip). Proposed only when it differs from the knob by more
 * than minChange (log units), at most once per cooldown, never shorter than the EMA's time constant 1 / (1 - alpha).
 * Non-finite norms change nothing.
 */
public final class ZClipCtl implements Controller<ZClipCtl.State> {
    public static final String TYPE = "zclip";
    static final Set<String> FIELDS = Set.of("name", "priority", "alpha", "z_thresh", "eps", "warmup_steps",
            "clip_factor", "base_clip", "min_change", "cooldown");

    public record Config(String name, int priority, double alpha, double zThresh, double eps, int warmupSteps,
                         double clipFactor, double baseClip, double minChange, long cooldown) {
        /** ZClip's reference defaults (alpha 0.97, z 2.5, eps 1e-6, 25 warm-up steps, factor 1) and base clip 1. */
        public static Config defaults() {
            return new Config(TYPE, 30, 0.97, 2.5, 1e-6, 25, 1.0, 1.0, 0.1, 25);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("alpha", d.alpha, v -> v >= 0 && v < 1, "[0, 1)"),
                    r.num("z_thresh", d.zThresh, v -> v > 0, "(0, +inf)"),
                    r.num("eps", d.eps, v -> v > 0, "(0, +inf)"),
                    (int) r.integer("warmup_steps", d.warmupSteps, 1, 100_000),
                    r.num("clip_factor", d.clipFactor, v -> v > 0, "(0, +inf)"),
                    r.num("base_clip", d.baseClip, v -> v > 0, "(0, +inf)"),
                    r.num("min_change", d.minChange, v -> v >= 0, "[0, +inf) (log units)"),
                    Ctl.steps(r, "cooldown", d.cooldown));
        }
    }

    /** ZClip's statistics: the warm-up norms until initialised, then the EMA mean and variance. */
    public record State(List<Double> warmup, boolean initialized, double mean, double var, long last) {
        public State {
            warmup = List.copyOf(warmup);
        }
    }

    private final Config c;

    public ZClipCtl(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static ZClipCtl create(Map<String, Object> params, String where) {
        return new ZClipCtl(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("warmup", StateCodec.nums(state.warmup().stream().mapToDouble(Double::doubleValue)
                .toArray()));
        m.put("initialized", state.initialized());
        m.put("mean", StateCodec.num(state.mean()));
        m.put("var", StateCodec.num(state.var()));
        m.put("last", StateCodec.lng(state.last()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("warmup", "initialized", "mean", "var", "last");
        return new State(Arrays.stream(r.doubles("warmup")).boxed().toList(), r.b("initialized"), r.d("mean"),
                r.d("var"), r.l("last"));
    }

    @Override
    public State initial() {
        return new State(List.of(), false, 0, 0, Ctl.NEVER);
    }

    /** The statistics after norm g, as ZClip updates them. */
    public State observe(State st, double g) {
        if (!Double.isFinite(g)) {
            return st;
        }
        if (!st.initialized()) {
            List<Double> w = new ArrayList<>(st.warmup());
            w.add(g);
            if (w.size() < c.warmupSteps) {
                return new State(w, false, st.mean(), st.var(), st.last());
            }
            double sum = 0;
            for (double v : w) {
                sum += v;
            }
            double mean = sum / w.size();
            double var = 0;
            for (double v : w) {
                var += (v - mean) * (v - mean);
            }
            return new State(List.of(), true, mean, var / w.size(), st.last());
        }
        double std = Math.sqrt(st.var());
        double z = (g - st.mean()) / (std + c.eps);
        double x = z > c.zThresh ? (st.mean() + c.zThresh * std / (z / c.zThresh)) * c.clipFactor : g;
        double mean = c.alpha * st.mean() + (1 - c.alpha) * x;
        double var = c.alpha * st.var() + (1 - c.alpha) * (x - mean) * (x - mean);
        return new State(List.of(), true, mean, var, st.last());
    }

    /** The norm above which ZClip would clip with these statistics. */
    public double threshold(State st) {
        return (st.mean() + c.zThresh * Math.sqrt(st.var())) * c.clipFactor;
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        if (!Ctl.ok(s, Signals.GRAD_NORM)) {
            return new Output<>(st, List.of());
        }
        State next = observe(st, s.get(Signals.GRAD_NORM));
        double knob = knobs.get(Knob.CLIP);
        double base = Ctl.ok(s, Signals.EFF_CLIP) && s.get(Signals.EFF_CLIP) > 0 && knob > 0
                ? s.get(Signals.EFF_CLIP) / knob : c.baseClip;
        double thr = threshold(next);
        long cooldown = Math.max(c.cooldown, (long) Math.ceil(1 / (1 - c.alpha)));    // the EMA's time constant
        if (!next.initialized() || step - st.last() < cooldown || !(thr > 0)) {
            return new Output<>(next, List.of());
        }
        double target = thr / base;
        if (Math.abs(StrictMath.log(target / knob)) <= c.minChange) {
            return new Output<>(next, List.of());
        }
        return new Output<>(new State(next.warmup(), true, next.mean(), next.var(), step), List.of(Proposal.set(
                c.name, Knob.CLIP, target, c.priority, "gradient-norm history (mean " + Ctl.f(next.mean()) + ", std "
                        + Ctl.f(Math.sqrt(next.var())) + "): clip at mean + " + Ctl.f(c.zThresh) + " std = "
                        + Ctl.f(thr), Ctl.ev("zclip_mean", next.mean(), "zclip_std", Math.sqrt(next.var()),
                        "z_thresh", c.zThresh, "threshold", thr, "base_clip", base, Signals.GRAD_NORM,
                        s.get(Signals.GRAD_NORM)))));
    }
}
