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
 * "batch": grows the micro-batches per step toward the critical batch that the gradient noise scale suggests
 * (McCandlish et al. 2018: B_crit is about B_noise = tr(Sigma) / |G|^2; it grows as the loss falls). The current batch
 * is gns_batch x micro-batches (eff_micro_batches when measured, else round(recipeMicroBatches x knob)). When
 * noise_scale is at least margin x the current batch, the knob moves up by at most step (log units) toward the
 * micro-batch count whose batch reaches noise_scale, never past it and never above maxMicro; at most once per
 * cooldown. Never shrinks the batch (the critical batch rises during training, Merrill et al. 2025).
 */
public final class Batch implements Controller<Batch.State> {
    public static final String TYPE = "batch";
    static final Set<String> FIELDS = Set.of("name", "priority", "margin", "step", "cooldown",
            "recipe_micro_batches", "max_micro");

    public record Config(String name, int priority, double margin, double step, long cooldown,
                         int recipeMicroBatches, int maxMicro) {
        public static Config defaults() {
            return new Config(TYPE, 20, 1.5, 0.7, 200, 1, 64);
        }

        static Config read(ParamReader r) {
            Config d = defaults();
            return new Config(Ctl.name(r, TYPE), Ctl.priority(r, d.priority),
                    r.num("margin", d.margin, v -> v >= 1, "[1, +inf)"), Ctl.step(r, "step", d.step),
                    Ctl.steps(r, "cooldown", d.cooldown),
                    (int) r.integer("recipe_micro_batches", d.recipeMicroBatches, 1, 1_000_000),
                    (int) r.integer("max_micro", d.maxMicro, 1, 1_000_000));
        }
    }

    /** @param last step of the last proposal */
    public record State(long last) {}

    private final Config c;

    public Batch(Config c) {
        this.c = c;
    }

    /** From a regime file's params (absent fields take the defaults); errors name where, the field and the range. */
    public static Batch create(Map<String, Object> params, String where) {
        return new Batch(Config.read(new ParamReader(params, where, FIELDS)));
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
        return m;
    }

    @Override
    public State decodeState(StateCodec.Reader r) {
        r.only("last");
        return new State(r.l("last"));
    }

    @Override
    public State initial() {
        return new State(Ctl.NEVER);
    }

    @Override
    public Output<State> decide(long step, Signals s, Knobs knobs, State st) {
        if (!Ctl.ok(s, Derived.NOISE_SCALE) || !Ctl.ok(s, Signals.GNS_BATCH) || s.get(Signals.GNS_BATCH) <= 0
                || step - st.last() < c.cooldown) {
            return new Output<>(st, List.of());
        }
        double knob = knobs.get(Knob.MICRO_BATCHES);
        double micro = Ctl.ok(s, Signals.EFF_MICRO_BATCHES) && s.get(Signals.EFF_MICRO_BATCHES) >= 1
                ? s.get(Signals.EFF_MICRO_BATCHES) : Math.max(1, Math.round(c.recipeMicroBatches * knob));
        double perMicro = s.get(Signals.GNS_BATCH);
        double batch = perMicro * micro;
        double noise = s.get(Derived.NOISE_SCALE);
        if (noise < c.margin * batch || micro >= c.maxMicro) {
            return new Output<>(st, List.of());
        }
        double want = Math.min(c.maxMicro, Math.floor(noise / perMicro));     // batch never past noise_scale
        double targetMicro = Math.floor(Math.min(want, micro * StrictMath.exp(c.step)));
        if (targetMicro <= micro) {
            return new Output<>(st, List.of());
        }
        double target = knob * targetMicro / micro;
        return new Output<>(new State(step), List.of(Proposal.set(c.name, Knob.MICRO_BATCHES, target, c.priority,
                "noise scale " + Ctl.f(noise) + " samples is " + Ctl.f(noise / batch) + "x the batch of "
                        + Ctl.f(batch) + ": grow toward the critical batch (" + Ctl.f(micro) + " -> "
                        + Ctl.f(targetMicro) + " micro-batches)",
                Ctl.ev(Derived.NOISE_SCALE, noise, "batch", batch, Signals.GNS_BATCH, perMicro, "micro_batches",
                        micro, "target_micro_batches", targetMicro, "margin", c.margin))));
    }
}
