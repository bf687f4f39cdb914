package dev.tiller.policy.regime.controllers;

import dev.tiller.policy.regime.Controller;
import dev.tiller.policy.regime.Derived;
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
 * "spike": recovery from non-finite values and loss or gradient-norm spikes.
 * <ul>
 *   <li>Non-finite anywhere (finite = 0, a non-finite loss or gradient norm, or the bank's non_finite): with
 *       skip_nonfinite_first (the default), the first non-finite step in a row proposes SKIP and a second consecutive
 *       one ROLLBACK; without it, ROLLBACK at once. The regime decides before the step's update, so a first
 *       non-finite step has not touched the weights: skipping it loses one batch where a rollback loses every step
 *       since the snapshot and halves the rate (a loss-scale overflow is the everyday case, and the scaler itself
 *       skips). A second one in a row means the state itself is bad.</li>
 *   <li>loss_z above z, or grad_norm_z above z while loss_z is not negative (a falling loss is not damage): a spike.
 *       When it has lasted persist consecutive steps (1 to 5): ROLLBACK (the
 *       parameters themselves are damaged). Shorter: SKIP the update when skip_spikes, so one outlier batch does not
 *       move the weights (OLMo-core's skip-step rule).</li>
 * </ul>
 * Missing z-scores (warm-up) and a finite step: no proposal. The arbiter lets a ROLLBACK veto everything else.
 */
public final class Spike implements Controller<Spike.State> {
    public static final String TYPE = "spike";
    static final Set<String> FIELDS = Set.of("name", "z", "persist", "skip_nonfinite_first", "skip_spikes");

    /** Rollback and skip proposals always carry the highest priority; there is no priority param. */
    public record Config(String name, double z, int persist, boolean skipNonFiniteFirst, boolean skipSpikes) {
        public static Config defaults() {
            return new Config(TYPE, 6, 3, true, true);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), r.num("z", d.z, v -> v > 0, "(0, +inf)"),
                    (int) r.integer("persist", d.persist, 1, 5),
                    r.bool("skip_nonfinite_first", d.skipNonFiniteFirst), r.bool("skip_spikes", d.skipSpikes));
        }
    }

    /**
     * @param zRun      consecutive steps with a z-score spike
     * @param nonFinite consecutive non-finite steps
     */
    public record State(int zRun, int nonFinite) {}

    private final Config c;

    public Spike(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static Spike create(Map<String, Object> params, String where) {
        return new Spike(Config.read(new ParamReader(params, where, FIELDS)));
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
        m.put("z_run", state.zRun());
        m.put("non_finite", state.nonFinite());
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("z_run", "non_finite");
        return new State(r.i("z_run"), r.i("non_finite"));
    }

    @Override
    public State initial() {
        return new State(0, 0);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        boolean bad = (s.has(Signals.FINITE) && s.get(Signals.FINITE) != 1.0)
                || (s.has(Signals.LOSS) && !Double.isFinite(s.get(Signals.LOSS)))
                || (s.has(Signals.GRAD_NORM) && !Double.isFinite(s.get(Signals.GRAD_NORM)))
                || s.finiteOr(Derived.NON_FINITE, 0) == 1.0;
        if (bad) {
            int run = st.nonFinite() + 1;
            var ev = Ctl.ev(Signals.FINITE, s.get(Signals.FINITE), Signals.LOSS, s.get(Signals.LOSS),
                    Signals.GRAD_NORM, s.get(Signals.GRAD_NORM), "non_finite_steps", run);
            if (c.skipNonFiniteFirst && run == 1) {
                return new Output<>(new State(0, run), List.of(Proposal.skip(c.name, "non-finite loss or gradient:"
                        + " skip this update (first in a row)", ev)));
            }
            return new Output<>(new State(0, run), List.of(Proposal.rollback(c.name, "non-finite loss or gradient ("
                    + run + " step(s) in a row): roll back to the newest known-good snapshot", ev)));
        }
        boolean haveLoss = Ctl.ok(s, Derived.LOSS_Z);
        boolean haveGrad = Ctl.ok(s, Derived.GRAD_NORM_Z);
        if (!haveLoss && !haveGrad) {
            return new Output<>(new State(0, 0), List.of());
        }
        // a gradient-norm spike counts only while the loss is not below its running mean: a step whose loss keeps
        // falling is not damage (early in training the norm grows fast while the loss drops, and z-scores of a few
        // dozen values call that growth a spike)
        boolean lossFalling = haveLoss && s.get(Derived.LOSS_Z) < 0;
        double z = Math.max(haveLoss ? s.get(Derived.LOSS_Z) : Double.NEGATIVE_INFINITY,
                haveGrad && !lossFalling ? s.get(Derived.GRAD_NORM_Z) : Double.NEGATIVE_INFINITY);
        if (!(z > c.z)) {
            return new Output<>(new State(0, 0), List.of());
        }
        int run = st.zRun() + 1;
        var ev = Ctl.ev(Derived.LOSS_Z, s.get(Derived.LOSS_Z), Derived.GRAD_NORM_Z, s.get(Derived.GRAD_NORM_Z), "z",
                c.z, "spike_steps", run, "persist", c.persist);
        if (run >= c.persist) {
            return new Output<>(new State(0, 0), List.of(Proposal.rollback(c.name, "loss/gradient-norm spike (z "
                    + Ctl.f(z) + " above " + Ctl.f(c.z) + ") for " + run + " steps: roll back to the newest"
                    + " known-good snapshot", ev)));
        }
        if (c.skipSpikes) {
            return new Output<>(new State(run, 0), List.of(Proposal.skip(c.name, "loss/gradient-norm spike (z "
                    + Ctl.f(z) + " above " + Ctl.f(c.z) + "), step " + run + " of " + c.persist + ": skip this"
                    + " update", ev)));
        }
        return new Output<>(new State(run, 0), List.of());
    }
}
