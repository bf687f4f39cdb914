package dev.tiller.policy.regime;

import dev.tiller.policy.state.StateCodec;
import dev.tiller.policy.state.StateCodec.BadState;
import dev.tiller.policy.state.StateCodec.Reader;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static dev.tiller.policy.state.StateCodec.lng;
import static dev.tiller.policy.state.StateCodec.num;

/**
 * A {@link Regime.State} as a checkpoint manifest holds it, and back, bit for bit: knobs, the signal bank, each
 * controller's state (by the controller's own {@link Controller#encodeState}), trials, the loss history, the
 * arbiter's memory, the regime's snapshot ring, the last rollback and the ramp. The controllers that decode their
 * states are the regime's own, in its order: the file never chooses a type, and a state whose controller list differs
 * from the regime's is rejected naming both.
 */
public final class RegimeCodec {
    private RegimeCodec() {}

    /** The JSON form of regime's current state. */
    public static Map<String, Object> encode(Regime regime) {
        Regime.State s = regime.snapshot();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", lng(s.step()));
        m.put("core", core(regime, s.core()));
        m.put("arbiter", arbiter(s.arbiter()));
        List<Object> ring = new ArrayList<>();
        for (Regime.Saved v : s.ring()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("step", lng(v.step()));
            e.put("status", v.status().name().toLowerCase(Locale.ROOT));
            e.put("core", core(regime, v.core()));
            ring.add(e);
        }
        m.put("ring", ring);
        m.put("last_rollback", lng(s.lastRollback()));
        if (s.ramp() != null) {
            Regime.Ramp r = s.ramp();
            m.put("ramp", StateCodec.ordered("total", num(r.total()), "repaid", num(r.repaid()), "start",
                    lng(r.start()), "steps", lng(r.steps())));
        }
        m.put("spike_episode", s.spikeEpisode());
        return m;
    }

    /** Reads {@link #encode}'s form into regime (whose controllers decode their own states). */
    public static void restore(Regime regime, Reader r) {
        r.only("step", "core", "arbiter", "ring", "last_rollback", "ramp", "spike_episode");
        Regime.Ramp ramp = null;
        if (r.has("ramp")) {
            Reader p = r.obj("ramp").only("total", "repaid", "start", "steps");
            ramp = new Regime.Ramp(p.d("total"), p.d("repaid"), p.l("start"), p.l("steps"));
        }
        List<Regime.Saved> ring = r.list("ring", e -> {
            e.only("step", "status", "core");
            String st = e.s("status");
            Regime.Status status = switch (st) {
                case "pending" -> Regime.Status.PENDING;
                case "good" -> Regime.Status.GOOD;
                case "bad" -> Regime.Status.BAD;
                default -> throw new BadState(e.where() + ".status: expected pending, good or bad, got '" + st + "'");
            };
            return new Regime.Saved(e.l("step"), core(regime, e.obj("core")), status);
        });
        regime.restore(new Regime.State(r.l("step"), core(regime, r.obj("core")), arbiter(r.obj("arbiter")), ring,
                r.l("last_rollback"), ramp, r.b("spike_episode")));
    }

    private static Map<String, Object> core(Regime regime, Regime.Core c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("knobs", knobs(c.knobs()));
        m.put("bank", bank(c.bank()));
        List<Object> cs = new ArrayList<>();
        List<Controller<?>> controllers = regime.controllers();
        for (int i = 0; i < controllers.size(); i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", controllers.get(i).name());
            e.put("state", encodeState(controllers.get(i), c.controllers().get(i)));
            cs.add(e);
        }
        m.put("controllers", cs);
        List<Object> trials = new ArrayList<>();
        for (Regime.Trial t : c.trials()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("controller", t.controller());
            e.put("knob", t.knob().key());
            e.put("before", num(t.before()));
            e.put("after", num(t.after()));
            e.put("start", lng(t.start()));
            e.put("end", lng(t.end()));
            e.put("intercept", num(t.intercept()));
            e.put("slope", num(t.slope()));
            e.put("loss_sum", num(t.lossSum()));
            e.put("predicted_sum", num(t.predictedSum()));
            e.put("count", lng(t.count()));
            trials.add(e);
        }
        m.put("trials", trials);
        List<Object> steps = new ArrayList<>();
        List<Object> losses = new ArrayList<>();
        for (Regime.Point p : c.losses()) {
            steps.add(lng(p.step()));
            losses.add(num(p.loss()));
        }
        m.put("loss_steps", steps);
        m.put("losses", losses);
        return m;
    }

    private static Regime.Core core(Regime regime, Reader r) {
        r.only("knobs", "bank", "controllers", "trials", "loss_steps", "losses");
        List<Controller<?>> controllers = regime.controllers();
        List<Reader> cs = r.list("controllers", e -> e.only("name", "state"));
        List<String> names = cs.stream().map(e -> e.s("name")).toList();
        List<String> mine = controllers.stream().map(Controller::name).toList();
        if (!names.equals(mine)) {
            throw new BadState(r.where() + ".controllers: the checkpoint's controllers " + names
                    + " are not the regime's " + mine);
        }
        List<Object> states = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            states.add(controllers.get(i).decodeState(cs.get(i).obj("state")));
        }
        List<Regime.Trial> trials = r.list("trials", t -> {
            t.only("controller", "knob", "before", "after", "start", "end", "intercept", "slope", "loss_sum",
                    "predicted_sum", "count");
            return new Regime.Trial(t.s("controller"), knob(t.s("knob"), t.where()), t.d("before"), t.d("after"),
                    t.l("start"), t.l("end"), t.d("intercept"), t.d("slope"), t.d("loss_sum"), t.d("predicted_sum"),
                    t.l("count"));
        });
        long[] steps = r.longs("loss_steps");
        double[] losses = r.doubles("losses");
        if (steps.length != losses.length) {
            throw new BadState(r.where() + ": " + steps.length + " loss_steps but " + losses.length + " losses");
        }
        List<Regime.Point> points = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            points.add(new Regime.Point(steps[i], losses[i]));
        }
        return new Regime.Core(knobs(r.obj("knobs")), bank(r.obj("bank")), states, trials, points);
    }

    @SuppressWarnings("unchecked")
    private static <S> Map<String, Object> encodeState(Controller<S> c, Object state) {
        return c.encodeState((S) state);     // the state came from this controller's initial or decide
    }

    private static Map<String, Object> knobs(Knobs k) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Knob x : Knob.values()) {
            m.put(x.key(), num(k.get(x)));
        }
        return m;
    }

    private static Knobs knobs(Reader r) {
        Knobs k = Knobs.neutral();
        List<String> keys = new ArrayList<>();
        for (Knob x : Knob.values()) {
            keys.add(x.key());
        }
        r.only(keys.toArray(String[]::new));
        for (Knob x : Knob.values()) {
            k = k.with(x, r.d(x.key()));
        }
        return k;
    }

    private static Knob knob(String key, String where) {
        try {
            return Knob.of(key);
        } catch (IllegalArgumentException e) {
            throw new BadState(where + ": " + e.getMessage());
        }
    }

    private static Map<String, Object> arbiter(Arbiter.State a) {
        Map<String, Object> last = new LinkedHashMap<>();
        Map<String, Object> moves = new LinkedHashMap<>();
        for (Knob k : Knob.values()) {
            if (a.lastChange().containsKey(k)) {
                last.put(k.key(), lng(a.lastChange().get(k)));
            }
            if (a.moves().containsKey(k)) {
                List<Object> ms = new ArrayList<>();
                for (Arbiter.Move mv : a.moves().get(k)) {
                    ms.add(List.of(lng(mv.step()), mv.direction()));
                }
                moves.put(k.key(), ms);
            }
        }
        return StateCodec.ordered("last_change", last, "moves", moves);
    }

    private static Arbiter.State arbiter(Reader r) {
        r.only("last_change", "moves");
        Map<Knob, Long> last = new EnumMap<>(Knob.class);
        Reader lc = r.obj("last_change");
        for (String k : lc.keys()) {
            last.put(knob(k, lc.where()), lc.l(k));
        }
        Map<Knob, List<Arbiter.Move>> moves = new EnumMap<>(Knob.class);
        Reader mv = r.obj("moves");
        for (String k : mv.keys()) {
            List<Arbiter.Move> ms = new ArrayList<>();
            List<?> items = mv.list(k);
            for (int i = 0; i < items.size(); i++) {
                String where = mv.where() + "." + k + "[" + i + "]";
                if (!(items.get(i) instanceof List<?> pair) || pair.size() != 2) {
                    throw new BadState(where + ": expected [step, direction]");
                }
                Reader p = StateCodec.read(Map.of("step", pair.get(0), "direction", pair.get(1)), where);
                ms.add(new Arbiter.Move(p.l("step"), (int) p.l("direction", -1, 1)));
            }
            moves.put(knob(k, mv.where()), ms);
        }
        return new Arbiter.State(last, moves);
    }

    private static List<Object> stat(SignalBank.Stat s) {
        return List.of(lng(s.n()), num(s.mean()), num(s.var()), s.excluded());
    }

    private static SignalBank.Stat stat(Reader r, String name) {
        List<?> l = r.list(name);
        Reader p = tuple(l, r.where() + "." + name, "n", "mean", "var", "excluded");
        return new SignalBank.Stat(p.l("n"), p.d("mean"), p.d("var"), p.i("excluded"));
    }

    private static List<Object> ema(SignalBank.Ema e) {
        return List.of(lng(e.n()), num(e.value()));
    }

    private static SignalBank.Ema ema(Reader r, String name) {
        Reader p = tuple(r.list(name), r.where() + "." + name, "n", "value");
        return new SignalBank.Ema(p.l("n"), p.d("value"));
    }

    private static Map<String, Object> detector(SignalBank.Detector d) {
        return StateCodec.ordered("stat", stat(d.stat()), "up", num(d.up()), "down", num(d.down()));
    }

    private static SignalBank.Detector detector(Reader r) {
        r.only("stat", "up", "down");
        return new SignalBank.Detector(stat(r, "stat"), r.d("up"), r.d("down"));
    }

    /** A positional array read as named fields. */
    private static Reader tuple(List<?> l, String where, String... names) {
        if (l.size() != names.length) {
            throw new BadState(where + ": expected " + names.length + " values " + List.of(names) + ", got "
                    + l.size());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], l.get(i));
        }
        return StateCodec.read(m, where);
    }

    private static Map<String, Object> bank(SignalBank.State b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", stat(b.loss()));
        m.put("grad", stat(b.grad()));
        Map<String, Object> layers = new LinkedHashMap<>();
        b.layers().forEach((k, v) -> layers.put(k, stat(v)));
        m.put("layers", layers);
        m.put("loss_short", ema(b.lossShort()));
        m.put("loss_long", ema(b.lossLong()));
        m.put("slope", ema(b.slope()));
        m.put("loss_start", num(b.lossStart()));
        m.put("loss_z_rms", ema(b.lossZRms()));
        m.put("grad_z_rms", ema(b.gradZRms()));
        m.put("prev_loss", num(b.prevLoss()));
        m.put("prev_sign", b.prevSign());
        m.put("sign_bits", Long.toString(b.signBits()));
        m.put("diffs", lng(b.diffs()));
        m.put("val", ema(b.val()));
        m.put("val_ref", num(b.valRef()));
        m.put("last_improve", lng(b.lastImprove()));
        m.put("evals_since", lng(b.evalsSince()));
        m.put("gns_trace", ema(b.gnsTrace()));
        m.put("gns_g2", ema(b.gnsG2()));
        m.put("sharp_probes", lng(b.sharpProbes()));
        m.put("sharp_over", lng(b.sharpOver()));
        m.put("fresh", detector(b.fresh()));
        m.put("input", detector(b.input()));
        m.put("derived", StateCodec.nums(b.derived().asMap()));
        return m;
    }

    private static SignalBank.State bank(Reader r) {
        r.only("loss", "grad", "layers", "loss_short", "loss_long", "slope", "loss_start", "loss_z_rms", "grad_z_rms",
                "prev_loss", "prev_sign", "sign_bits", "diffs", "val", "val_ref", "last_improve", "evals_since",
                "gns_trace", "gns_g2", "sharp_probes", "sharp_over", "fresh", "input", "derived");
        Map<String, SignalBank.Stat> layers = new TreeMap<>();
        Reader lr = r.obj("layers");
        for (String k : lr.keys()) {
            layers.put(k, stat(lr, k));
        }
        return new SignalBank.State(stat(r, "loss"), stat(r, "grad"), layers, ema(r, "loss_short"),
                ema(r, "loss_long"), ema(r, "slope"), r.d("loss_start"), ema(r, "loss_z_rms"), ema(r, "grad_z_rms"),
                r.d("prev_loss"), r.i("prev_sign"), r.l("sign_bits"), r.l("diffs"), ema(r, "val"), r.d("val_ref"),
                r.l("last_improve"), r.l("evals_since"), ema(r, "gns_trace"), ema(r, "gns_g2"), r.l("sharp_probes"),
                r.l("sharp_over"), detector(r.obj("fresh")), detector(r.obj("input")),
                Signals.of(r.doubleMap("derived")));
    }
}
