package dev.tiller.policy;

import dev.tiller.models.nn.Module;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.ZClip;
import dev.tiller.policy.checkpoint.CheckpointException;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.regime.Knob;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Regime;
import dev.tiller.policy.regime.RegimeCodec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.ClipStates;
import dev.tiller.policy.state.ModuleState;
import dev.tiller.policy.state.RunSnapshot;
import dev.tiller.policy.state.SampleCursor;
import dev.tiller.policy.state.StateCodec;
import dev.tiller.policy.state.Stateful;
import dev.tiller.policy.state.TensorSnapshot;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.io.Json;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import static dev.tiller.policy.state.StateCodec.lng;
import static dev.tiller.policy.state.StateCodec.num;

/**
 * Everything a run carries between steps, as a checkpoint holds it, and back: parameters, optimizer state, module
 * buffers and dropout counters, the clipper's and loss scaler's state, the data cursor, the regime's state, the
 * probes' carried measurements, the trainer's counters, the anchor weights, the rollback ring's snapshots, what the
 * last update's hyperparameters were made from, and the lengths of metrics.jsonl and events.jsonl. Restoring a
 * capture taken after step k into a run built from the same configuration makes steps k+1.. the same bits as the
 * uninterrupted run's. Tensor names: {@code param/NAME}, {@code optim/NAME}, {@code buffer/NAME}, {@code anchor/NAME},
 * and the same under {@code ring/STEP/} for each rollback snapshot.
 */
public final class RunCheckpoint {
    private RunCheckpoint() {}

    /**
     * A checkpoint's content, copied out of the run (later steps never change it): its tensors (freed by close) and
     * its state object.
     */
    public record Capture(long step, Map<String, Tensor> tensors, Map<String, Object> state, Arena arena,
                          long bytes) implements AutoCloseable {
        @Override
        public void close() {
            arena.close();
        }
    }

    /** A copy of s after its last finished step, with config (the run's config.json) recorded beside it. */
    public static <H extends Record> Capture capture(TrainState<H> s, Map<String, Object> config) {
        Arena arena = Arena.ofShared();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long[] bytes = {0};
        BiConsumer<String, Map<String, Tensor>> copy = (prefix, live) -> live.forEach((k, t) -> {
            Tensor c = Tensor.allocate(Allocators.arena(arena), t.dtype(), t.shape());
            c.copyFrom(t);
            tensors.put(prefix + k, c);
            bytes[0] += c.numel() * c.dtype().bytes();
        });
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("config", config);
        Map<String, Object> trainer = new LinkedHashMap<>();
        trainer.put("step", s.step);
        trainer.put("items_seen", lng(s.itemsSeen));
        trainer.put("cpu_nanos", lng(s.trainCpuNanos));
        trainer.put("skipped", lng(s.skipped));
        trainer.put("rollbacks", lng(s.rollbacks));
        trainer.put("non_finite_run", lng(s.nonFiniteRun));
        trainer.put("last_loss", num(s.lastLoss));
        trainer.put("last_eval", StateCodec.nums(s.lastEval));
        trainer.put("pending", StateCodec.nums(s.pending.asMap()));
        trainer.put("anchor", s.anchor != null);
        if (s.lastUpdateStep >= 0) {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("step", lng(s.lastUpdateStep));
            u.put("knobs", knobs(s.lastUpdateKnobs));
            u.put("lr_factor", num(s.lastUpdateLrFactor));
            trainer.put("last_update", u);
        }
        state.put("trainer", trainer);
        Map<String, Object> parts = new LinkedHashMap<>();
        copy.accept("param/", params(s.params));
        copy.accept("optim/", s.optimizer.state());
        copy.accept("buffer/", s.task.model().namedBuffers());
        parts.put("optimizer_step_count", lng(s.optimizer.stepCount()));
        parts.put("dropout", counters(new ModuleState(s.task.model()).counters()));
        parts.put("clip", clip(ClipStates.forClipper(s.clipper).snapshot()));
        if (s.scaler != null) {
            parts.put("scaler", scaler(s.scaler.state()));
        }
        parts.put("cursor", cursor(s.cursor.snapshot()));
        state.put("components", parts);
        if (s.anchor != null) {
            copy.accept("anchor/", s.anchor);
        }
        Regime regime = s.decider.regime();
        if (regime != null) {
            state.put("regime", RegimeCodec.encode(regime));
        }
        state.put("probes", StateCodec.nums(s.probes.carried()));
        List<Object> ring = new ArrayList<>();
        for (long step : s.ring.heldSteps()) {
            RunSnapshot r = s.ring.held(step);
            String prefix = "ring/" + step + "/";
            copy.accept(prefix + "param/", r.parameters().tensors());
            copy.accept(prefix + "optim/", r.optimizer().tensors().tensors());
            copy.accept(prefix + "buffer/", r.modules().buffers().tensors());
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("step", step);
            e.put("optimizer_step_count", lng(r.optimizer().stepCount()));
            e.put("dropout", counters(r.modules().counters()));
            e.put("clip", clip(r.clip()));
            if (r.scaler() != null) {
                e.put("scaler", scaler(r.scaler()));
            }
            if (r.cursor() != null) {
                e.put("cursor", cursor(r.cursor()));
            }
            ring.add(e);
        }
        state.put("ring", ring);
        long[] lengths = s.log.lengths();
        state.put("logs", StateCodec.ordered("metrics_bytes", lengths[0], "events_bytes", lengths[1]));
        return new Capture(s.step, tensors, state, arena, bytes[0]);
    }

    /**
     * Puts the checkpoint l into s, a run just started from the configuration l was saved under (the caller checks
     * that): s continues after l's step exactly as the saved run did. A checkpoint of another model or optimizer is
     * refused, naming the tensor and both shapes, before anything changes.
     */
    public static <H extends Record> void restore(Trainer<H> trainer, TrainState<H> s, CheckpointFile.Loaded l) {
        Regime regime = s.decider.regime();
        StateCodec.Reader st = l.state();
        try {
            st.only("config", "trainer", "components", "regime", "probes", "ring", "logs");
            checkShapes(l, "param/", params(s.params));
            checkShapes(l, "optim/", s.optimizer.state());
            checkShapes(l, "buffer/", s.task.model().namedBuffers());
            if ((regime != null) != st.has("regime")) {
                throw new CheckpointException(l.dir(), regime != null ? "holds no regime state, but this run's"
                        + " regime '" + s.regime.name() + "' has one" : "holds a regime state, but this run has no"
                        + " regime to restore it into");
            }
            for (StateCodec.Reader e : st.list("ring", x -> x)) {
                long step = e.l("step");
                components(s, l, "ring/" + step + "/", e);
                s.ring.put(step);
            }
            components(s, l, "", st.obj("components"));
            StateCodec.Reader t = st.obj("trainer");
            t.only("step", "items_seen", "cpu_nanos", "skipped", "rollbacks", "non_finite_run", "last_loss",
                    "last_eval", "pending", "anchor", "last_update");
            s.step = t.l("step", 0, Long.MAX_VALUE);
            s.itemsSeen = t.l("items_seen");
            s.trainCpuNanos = t.l("cpu_nanos");
            s.skipped = t.l("skipped");
            s.rollbacks = t.l("rollbacks");
            s.nonFiniteRun = t.l("non_finite_run");
            s.lastLoss = t.d("last_loss");
            s.lastEval = new TreeMap<>(t.doubleMap("last_eval"));
            s.pending = Signals.of(t.doubleMap("pending"));
            s.anchor = null;
            if (t.b("anchor")) {
                Map<String, Tensor> anchor = new HashMap<>();
                for (ParamRef p : s.params) {
                    Tensor src = l.tensor("anchor/" + p.name());
                    Tensor c = Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape());
                    c.copyFrom(src);
                    anchor.put(p.name(), c);
                }
                s.anchor = anchor;
            }
            if (t.has("last_update")) {
                StateCodec.Reader u = t.obj("last_update");
                u.only("step", "knobs", "lr_factor");
                s.lastUpdateStep = u.l("step");
                s.lastUpdateKnobs = knobs(u.obj("knobs"));
                s.lastUpdateLrFactor = u.d("lr_factor");
                s.lastUpdate = trainer.updateAt(s.lastUpdateStep, s.lastUpdateKnobs, s.lastUpdateLrFactor);
            }
            if (regime != null) {
                RegimeCodec.restore(regime, st.obj("regime"));
            }
            s.probes.carry(st.doubleMap("probes"));
        } catch (CheckpointException e) {
            throw e;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new CheckpointException(l.dir().resolve(CheckpointFile.MANIFEST), e.getMessage(), e);
        }
    }

    /**
     * SHA-256 of everything a checkpoint of s would hold that decides later steps: every tensor (name, dtype, shape,
     * bytes) and the state, without the log lengths and the CPU time (which measure, not decide). Two runs with the
     * same configuration give the same digest whatever their thread count.
     */
    public static String sha256(TrainState<?> s) {
        try (Capture c = capture(s, Map.of())) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                Tensor t = e.getValue();
                md.update((e.getKey() + " " + t.dtype() + " " + Arrays.toString(t.shape()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                md.update(t.segment().asSlice(t.offset() * t.dtype().bytes(), t.numel() * t.dtype().bytes())
                        .asByteBuffer());
            }
            Map<String, Object> state = new LinkedHashMap<>(c.state());
            state.remove("logs");
            @SuppressWarnings("unchecked")
            Map<String, Object> trainer = new LinkedHashMap<>((Map<String, Object>) state.get("trainer"));
            trainer.remove("cpu_nanos");
            state.put("trainer", trainer);
            md.update(Json.write(state).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** The lengths of metrics.jsonl and events.jsonl the checkpoint recorded. */
    public static long[] logLengths(CheckpointFile.Loaded l) {
        StateCodec.Reader r = l.state().obj("logs");
        return new long[] {r.l("metrics_bytes", 0, Long.MAX_VALUE), r.l("events_bytes", 0, Long.MAX_VALUE)};
    }

    /** Puts the parameters, optimizer, buffers, dropout counters, clipper, scaler and cursor saved under prefix. */
    private static void components(TrainState<?> s, CheckpointFile.Loaded l, String prefix, StateCodec.Reader r) {
        r.only("step", "optimizer_step_count", "dropout", "clip", "scaler", "cursor");
        for (ParamRef p : s.params) {
            p.value().copyFrom(l.tensor(prefix + "param/" + p.name()));
        }
        Map<String, Tensor> optim = new LinkedHashMap<>();
        for (String k : s.optimizer.state().keySet()) {
            optim.put(k, l.tensor(prefix + "optim/" + k));
        }
        s.optimizer.loadState(optim, r.l("optimizer_step_count"));
        Module model = s.task.model();
        Map<String, Tensor> buffers = new LinkedHashMap<>();
        for (String k : model.namedBuffers().keySet()) {
            buffers.put(k, l.tensor(prefix + "buffer/" + k));
        }
        ModuleState modules = new ModuleState(model);
        long[] counters = r.longs("dropout");
        if (counters.length != modules.counterNames().size()) {
            throw new StateCodec.BadState(r.where() + ".dropout: " + counters.length + " counters, but this model has "
                    + modules.counterNames().size() + " dropout layers " + modules.counterNames());
        }
        try (ModuleState.Snapshot snap = new ModuleState.Snapshot(TensorSnapshot.of(buffers), counters)) {
            modules.restore(snap);
        }
        restoreClip(ClipStates.forClipper(s.clipper), r.obj("clip"));
        if ((s.scaler != null) != r.has("scaler")) {
            throw new StateCodec.BadState(r.where() + ": the loss scaler's state is "
                    + (s.scaler != null ? "missing, but this run scales its loss (f16)" : "there, but this run"
                    + " does not scale its loss"));
        }
        if (s.scaler != null) {
            StateCodec.Reader c = r.obj("scaler").only("scale", "growth_tracker", "steps", "skipped_steps");
            s.scaler.loadState(new DynamicLossScaler.State((float) c.d("scale"), c.i("growth_tracker"), c.l("steps"),
                    c.l("skipped_steps")));
        }
        if (r.has("cursor")) {
            StateCodec.Reader c = r.obj("cursor").only("position", "phase", "phase_start");
            s.cursor.restore(new SampleCursor.State(c.l("position"), c.i("phase"), c.l("phase_start")));
        }
    }

    /** Fails, naming the tensor and both shapes, when the checkpoint's tensors under prefix are not live's. */
    private static void checkShapes(CheckpointFile.Loaded l, String prefix, Map<String, Tensor> live) {
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            Tensor saved = l.tensors().get(prefix + e.getKey());
            Tensor mine = e.getValue();
            if (saved == null) {
                throw new CheckpointException(l.dir(), "holds no tensor '" + prefix + e.getKey() + "' (this model's "
                        + mine.describe() + "): it was saved from another model or optimizer");
            }
            if (saved.dtype() != mine.dtype() || !Shape.same(saved.shape(), mine.shape())) {
                throw new CheckpointException(l.dir(), "tensor '" + prefix + e.getKey() + "' was saved as "
                        + saved.describe() + " but this run's is " + mine.describe());
            }
        }
        long extra = l.tensors().keySet().stream().filter(k -> k.startsWith(prefix)
                && !live.containsKey(k.substring(prefix.length()))).count();
        if (extra > 0) {
            String first = l.tensors().keySet().stream().filter(k -> k.startsWith(prefix)
                    && !live.containsKey(k.substring(prefix.length()))).findFirst().orElseThrow();
            throw new CheckpointException(l.dir(), "holds " + extra + " tensor(s) under " + prefix + " this run does"
                    + " not have, e.g. '" + first + "': it was saved from another model or optimizer");
        }
    }

    private static Map<String, Tensor> params(List<ParamRef> params) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (ParamRef p : params) {
            m.put(p.name(), p.value());
        }
        return m;
    }

    private static Map<String, Object> knobs(Knobs k) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Knob x : Knob.values()) {
            m.put(x.key(), num(k.get(x)));
        }
        return m;
    }

    private static Knobs knobs(StateCodec.Reader r) {
        Knobs k = Knobs.neutral();
        for (Knob x : Knob.values()) {
            k = k.with(x, r.d(x.key()));
        }
        return k;
    }

    private static List<Object> counters(long[] c) {
        List<Object> out = new ArrayList<>();
        for (long v : c) {
            out.add(lng(v));
        }
        return out;
    }


    private static Map<String, Object> cursor(SampleCursor.State c) {
        return StateCodec.ordered("position", lng(c.position()), "phase", c.phase(), "phase_start",
                lng(c.phaseStart()));
    }

    private static Map<String, Object> scaler(DynamicLossScaler.State c) {
        return StateCodec.ordered("scale", num(c.scale()), "growth_tracker", c.growthTracker(), "steps", lng(c.steps()),
                "skipped_steps", lng(c.skippedSteps()));
    }

    private static Map<String, Object> clip(Object state) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (state) {
            case ClipStates.None n -> m.put("kind", "none");
            case ZClip.State z -> {
                m.put("kind", "zclip");
                m.put("warmup_norms", StateCodec.nums(z.warmupNorms()));
                m.put("initialized", z.initialized());
                m.put("mean", num(z.mean()));
                m.put("var", num(z.var()));
                m.put("steps", lng(z.steps()));
                m.put("spikes", lng(z.spikes()));
            }
            case double[] history -> {
                m.put("kind", "autoclip");
                m.put("history", StateCodec.nums(history));
            }
            default -> throw new IllegalArgumentException("no checkpoint form for clipper state "
                    + state.getClass().getName());
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void restoreClip(Stateful<?> live, StateCodec.Reader r) {
        Object mine = live.snapshot();
        String kind = r.s("kind");
        switch (mine) {
            case ClipStates.None n -> {
                r.only("kind");
                expect(kind, "none", r);
            }
            case ZClip.State z -> {
                r.only("kind", "warmup_norms", "initialized", "mean", "var", "steps", "spikes");
                expect(kind, "zclip", r);
                ((Stateful<ZClip.State>) live).restore(new ZClip.State(r.doubles("warmup_norms"),
                        r.b("initialized"), r.d("mean"), r.d("var"), r.l("steps"), r.l("spikes")));
            }
            case double[] h -> {
                r.only("kind", "history");
                expect(kind, "autoclip", r);
                ((Stateful<double[]>) live).restore(r.doubles("history"));
            }
            default -> throw new IllegalArgumentException("no checkpoint form for clipper state "
                    + mine.getClass().getName());
        }
    }

    private static void expect(String kind, String mine, StateCodec.Reader r) {
        if (!kind.equals(mine)) {
            throw new StateCodec.BadState(r.where() + ": the checkpoint's clipper is '" + kind + "' but this run's is '"
                    + mine + "'");
        }
    }
}
