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
 * "plateau_lr": the learning rate's response to progress. Three rules, first match wins, at most one change per
 * cooldown (never shorter than the long loss EMA's time constant, so the controller sees the effect of its last change
 * before it acts again):
 * <ol>
 *   <li>plateau = 1 (the smoothed validation loss has not improved for the bank's patience): LR down by downStep.</li>
 *   <li>stalled far from convergence (|loss_slope| below stallSlope, loss_progress above far, loss_z_rms and
 *       grad_norm_z_rms below calmZ, no anomaly, sharpness_ratio below 0.5 when measured): LR up by upStep, as a
 *       trial of upTrial steps that the arbiter keeps or reverts against the extrapolated trend.</li>
 *   <li>very rapid progress that is unsteady (loss_slope below -rapidSlope while loss_z_rms or grad_norm_z_rms is at
 *       least calmZ, or sharpness_ratio at least 0.5): LR down by decelStep, the total deceleration at most
 *       -ln(decelFloor); once progress is no longer rapid (slope above -rapidSlope / 2) the deceleration that took
 *       effect is given back. Calm rapid progress is left alone: slowing it buys no stability and costs progress.</li>
 * </ol>
 * The LR moves by at most max(downStep, upStep, decelStep) per change, so its total variation over T steps is at most
 * that times T / cooldown + 1.
 */
public final class PlateauLr implements Controller<PlateauLr.State> {
    public static final String TYPE = "plateau_lr";
    static final Set<String> FIELDS = Set.of("name", "priority", "down_step", "up_step", "cooldown", "stall_slope",
            "far", "calm_z", "up_trial", "rapid_slope", "decel_step", "decel_floor", "min_scale", "max_scale");

    public record Config(String name, int priority, double downStep, double upStep, long cooldown, double stallSlope,
                         double far, double calmZ, long upTrial, double rapidSlope, double decelStep,
                         double decelFloor, double minScale, double maxScale) {
        public static Config defaults() {
            return new Config(TYPE, 40, 0.3, 0.1, 200, 2e-5, 0.5, 1.5, 100, 2e-3, 0.05, 0.9, 0.01, 10);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            Config c = new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority), Ctl.step(r, "down_step", d.downStep),
                    Ctl.step(r, "up_step", d.upStep), Ctl.steps(r, "cooldown", d.cooldown),
                    r.num("stall_slope", d.stallSlope, v -> v >= 0, "[0, +inf)"),
                    r.num("far", d.far, v -> v > 0, "(0, +inf)"),
                    r.num("calm_z", d.calmZ, v -> v > 0, "(0, +inf)"),
                    Ctl.steps(r, "up_trial", d.upTrial),
                    r.num("rapid_slope", d.rapidSlope, v -> v > 0, "(0, +inf)"),
                    Ctl.step(r, "decel_step", d.decelStep),
                    r.num("decel_floor", d.decelFloor, v -> v > 0 && v <= 1, "(0, 1]"),
                    r.num("min_scale", d.minScale, v -> v > 0, "(0, +inf)"),
                    r.num("max_scale", d.maxScale, v -> v > 0, "(0, +inf)"));
            if (c.minScale > c.maxScale) {
                throw r.error("min_scale", "must not exceed max_scale (" + c.maxScale + ")");
            }
            return c;
        }
    }

    /**
     * @param last       step of the last proposal
     * @param decel      deceleration in force (log units), as observed in the knob after the proposals took effect
     * @param pendingLr  the LR knob when a deceleration was proposed, until the next step shows whether it was applied
     */
    public record State(long last, double decel, double pendingLr) {}

    private final Config c;

    public PlateauLr(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static PlateauLr create(Map<String, Object> params, String where) {
        return new PlateauLr(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("decel", StateCodec.num(state.decel()));
        m.put("pending_lr", StateCodec.num(state.pendingLr()));
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("last", "decel", "pending_lr");
        return new State(r.l("last"), r.d("decel"), r.d("pending_lr"));
    }

    @Override
    public State initial() {
        return new State(Ctl.NEVER, 0, Double.NaN);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        double lr = knobs.get(Knob.LR);
        double decel = st.decel();
        if (Double.isFinite(st.pendingLr()) && lr < st.pendingLr()) {
            decel += Math.min(c.decelStep, StrictMath.log(st.pendingLr() / lr));    // never more than it asked for
        }
        State keep = new State(st.last(), decel, Double.NaN);
        double tau = s.finiteOr(Derived.LOSS_EMA_TAU, 0);
        long cooldown = Math.max(c.cooldown, (long) Math.ceil(tau));
        if (step - st.last() < cooldown) {
            return new Output<>(keep, List.of());
        }
        List<Proposal> out = new ArrayList<>();
        double slope = s.get(Derived.LOSS_SLOPE);
        if (Ctl.ok(s, Derived.PLATEAU) && s.get(Derived.PLATEAU) == 1.0) {
            double target = Math.max(c.minScale, lr * StrictMath.exp(-c.downStep));
            if (target < lr) {
                out.add(Proposal.set(c.name, Knob.LR, target, c.priority, "validation loss on a plateau for "
                        + Ctl.f(s.get(Derived.PLATEAU_EVALS)) + " evaluations (" + Ctl.f(s.get(Derived.PLATEAU_STEPS))
                        + " steps): lower the learning rate by " + Ctl.f(StrictMath.exp(c.downStep)) + "x",
                        Ctl.ev(Derived.PLATEAU, 1, Derived.PLATEAU_STEPS, s.get(Derived.PLATEAU_STEPS),
                                Derived.PLATEAU_EVALS, s.get(Derived.PLATEAU_EVALS), "down_step", c.downStep)));
                return new Output<>(new State(step, decel, Double.NaN), out);
            }
        }
        if (stalledFar(s) && (!Ctl.ok(s, Derived.PLATEAU) || s.get(Derived.PLATEAU) == 0.0)) {
            double target = Math.min(c.maxScale, lr * StrictMath.exp(c.upStep));
            if (target > lr) {
                Map<String, Double> ev = Ctl.ev(Derived.LOSS_SLOPE, slope, "stall_slope", c.stallSlope,
                        Derived.LOSS_PROGRESS, s.get(Derived.LOSS_PROGRESS), "far", c.far, Derived.LOSS_Z_RMS,
                        s.get(Derived.LOSS_Z_RMS), "calm_z", c.calmZ);
                out.add(new Proposal(c.name, Proposal.Action.SET, Knob.LR, target, c.priority, c.upTrial,
                        "progress stalled far from convergence (slope " + Ctl.f(slope) + "/step, loss at "
                                + Ctl.f(s.get(Derived.LOSS_PROGRESS)) + " of its start, calm): try a "
                                + Ctl.f(StrictMath.exp(c.upStep)) + "x higher learning rate", ev));
                return new Output<>(new State(step, decel, Double.NaN), out);
            }
        }
        if (Ctl.ok(s, Derived.LOSS_SLOPE)) {
            double room = -StrictMath.log(c.decelFloor) - decel;
            if (slope < -c.rapidSlope && room > 1e-12 && unsteady(s)) {
                double target = Math.max(c.minScale, lr * StrictMath.exp(-Math.min(c.decelStep, room)));
                if (target < lr) {
                    out.add(Proposal.set(c.name, Knob.LR, target, c.priority, "very rapid, unsteady progress (slope "
                            + Ctl.f(slope) + "/step below -" + Ctl.f(c.rapidSlope) + ", z rms "
                            + Ctl.f(zRms(s)) + "): decelerate slightly",
                            Ctl.ev(Derived.LOSS_SLOPE, slope, "rapid_slope", -c.rapidSlope, "decel", decel,
                                    Derived.LOSS_Z_RMS, s.get(Derived.LOSS_Z_RMS), Derived.GRAD_NORM_Z_RMS,
                                    s.get(Derived.GRAD_NORM_Z_RMS), "calm_z", c.calmZ)));
                    return new Output<>(new State(step, decel, lr), out);
                }
            }
            if (slope > -c.rapidSlope / 2 && decel > 1e-12) {
                double target = Math.min(c.maxScale, lr * StrictMath.exp(decel));
                out.add(Proposal.set(c.name, Knob.LR, target, c.priority, "rapid progress is over (slope "
                        + Ctl.f(slope) + "/step): give back the deceleration of " + Ctl.f(StrictMath.exp(decel)) + "x",
                        Ctl.ev(Derived.LOSS_SLOPE, slope, "rapid_slope", -c.rapidSlope, "decel", decel)));
                return new Output<>(new State(step, 0, Double.NaN), out);
            }
        }
        return new Output<>(keep, out);
    }

    /** Larger of the loss and gradient-norm z rms that are measured; 0 when neither is. */
    private static double zRms(Signals s) {
        return Math.max(s.finiteOr(Derived.LOSS_Z_RMS, 0), s.finiteOr(Derived.GRAD_NORM_Z_RMS, 0));
    }

    /** Instability evidence: a z rms at or above calmZ, or curvature at half the stability bound or more. */
    private boolean unsteady(Signals s) {
        return zRms(s) >= c.calmZ || s.finiteOr(Derived.SHARPNESS_RATIO, 0) >= 0.5;
    }

    private boolean stalledFar(Signals s) {
        if (!Ctl.ok(s, Derived.LOSS_SLOPE) || !Ctl.ok(s, Derived.LOSS_PROGRESS) || !Ctl.ok(s, Derived.LOSS_Z_RMS)) {
            return false;
        }
        boolean calm = s.get(Derived.LOSS_Z_RMS) < c.calmZ
                && (!Ctl.ok(s, Derived.GRAD_NORM_Z_RMS) || s.get(Derived.GRAD_NORM_Z_RMS) < c.calmZ)
                && s.finiteOr(Derived.ANOMALY, 0) == 0
                && (!Ctl.ok(s, Derived.SHARPNESS_RATIO) || s.get(Derived.SHARPNESS_RATIO) < 0.5);
        return calm && Math.abs(s.get(Derived.LOSS_SLOPE)) < c.stallSlope && s.get(Derived.LOSS_PROGRESS) > c.far;
    }
}
