package dev.tiller.policy.regime;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A regime as data: the knobs' rules, the probes' intervals, the controllers with their parameters, the arbiter's
 * guards and the rollback ring. Read from a JSON regime file or a preset ("static", "adaptive", "conservative",
 * "plateau") and written back into config.json, so a run's regime is part of the record that reproduces it.
 *
 * @param ring     snapshot every ring.every steps, keep the newest ring.capacity; a snapshot is known-good once
 *                 ring.goodWindow steps after it passed with no anomaly
 * @param recovery what a rollback does to the learning rate afterwards, and how soon another may follow
 * @param trials   how a provisional change is judged against the loss trend from before it
 * @param signals  the signal bank's parameters as read from JSON (empty: its defaults); the bank checks them
 * @param calibration when and how the learning rate is calibrated on counterfactual branches (off: never)
 */
public record RegimeSpec(String name, Map<Knob, KnobSpec> knobs, ProbePlan probes, List<ControllerSpec> controllers,
                         ArbiterSpec arbiter, RingSpec ring, RecoverySpec recovery, TrialSpec trials,
                         Map<String, Object> signals, CalibrationSpec calibration) {
    public RegimeSpec {
        knobs = Map.copyOf(new EnumMap<>(knobs));
        controllers = List.copyOf(controllers);
        signals = Map.copyOf(signals);
        for (Knob k : Knob.values()) {
            if (!knobs.containsKey(k)) {
                throw new IllegalArgumentException("regime " + name + ": no rules for knob " + k.key());
            }
        }
    }

    /** A regime without learning-rate calibration. */
    public RegimeSpec(String name, Map<Knob, KnobSpec> knobs, ProbePlan probes, List<ControllerSpec> controllers,
                      ArbiterSpec arbiter, RingSpec ring, RecoverySpec recovery, TrialSpec trials,
                      Map<String, Object> signals) {
        this(name, knobs, probes, controllers, arbiter, ring, recovery, trials, signals, CalibrationSpec.off());
    }

    /** A regime with the signal bank's default parameters. */
    public RegimeSpec(String name, Map<Knob, KnobSpec> knobs, ProbePlan probes, List<ControllerSpec> controllers,
                      ArbiterSpec arbiter, RingSpec ring, RecoverySpec recovery, TrialSpec trials) {
        this(name, knobs, probes, controllers, arbiter, ring, recovery, trials, Map.of());
    }

    /** A regime with the default recovery and trial rules and the signal bank's default parameters. */
    public RegimeSpec(String name, Map<Knob, KnobSpec> knobs, ProbePlan probes, List<ControllerSpec> controllers,
                      ArbiterSpec arbiter, RingSpec ring) {
        this(name, knobs, probes, controllers, arbiter, ring, RecoverySpec.defaults(), TrialSpec.defaults());
    }

    /** One controller: its type (the registry's name for it) and its parameters as read from JSON. */
    public record ControllerSpec(String type, Map<String, Object> params) {
        public ControllerSpec {
            params = Map.copyOf(params);
        }
    }

    /**
     * The arbiter's guards: a knob that reversed direction maxReversals times within oscillationWindow steps is
     * frozen for that window; a change smaller than hysteresis (log units; for the additive anchor, that fraction of
     * its range) is not worth making.
     */
    public record ArbiterSpec(long oscillationWindow, int maxReversals, double hysteresis) {}

    public record RingSpec(long every, int capacity, long goodWindow) {
        public RingSpec {
            if (every < 1 || capacity < 0 || goodWindow < 0) {
                throw new IllegalArgumentException("ring: every >= 1, capacity >= 0, goodWindow >= 0 required");
            }
        }
    }

    /**
     * After a rollback the learning-rate knob restarts at its snapshot value x lrFactor (never below the knob's min),
     * then climbs back to the snapshot value over rampSteps steps within the knob's maximum step and cooldown; a
     * rollback asked for within cooldown steps of the last one becomes a skip unless a snapshot taken since that
     * rollback has turned known-good, so a run cannot loop back past the same recovery.
     */
    public record RecoverySpec(double lrFactor, long rampSteps, long cooldown) {
        public RecoverySpec {
            if (!(lrFactor > 0 && lrFactor <= 1) || rampSteps < 0 || cooldown < 0) {
                throw new IllegalArgumentException("recovery: 0 < lr_factor <= 1, ramp_steps >= 0, cooldown >= 0"
                        + " required");
            }
        }

        /** Halve the learning rate, ramp back over 100 steps, at most one rollback per 100 steps. */
        public static RecoverySpec defaults() {
            return new RecoverySpec(0.5, 100, 100);
        }
    }

    /**
     * A provisional change is kept when the mean loss over its trial is at most the mean of the linear trend fitted
     * to the last window finite losses before it, plus tolerance x |that mean|; otherwise the knob goes back.
     */
    public record TrialSpec(int window, double tolerance) {
        public TrialSpec {
            if (window < 2 || !(tolerance >= 0)) {
                throw new IllegalArgumentException("trials: window >= 2 and tolerance >= 0 required");
            }
        }

        public static TrialSpec defaults() {
            return new TrialSpec(50, 0);
        }
    }

    /**
     * Learning-rate calibration on counterfactual branches, once per run. At step round(at x budget) the trainer
     * snapshots the whole run and trains it on from there for branch steps (max(minSteps, round(steps x budget)))
     * under the learning-rate knob x factor^e, restoring the snapshot before each branch and after the last, so the
     * run itself goes on bit for bit as if nothing had been tried; each branch is scored by the validation loss at
     * its end. It tries e = 0, 1 and -1, then goes on in the winning direction while the last try won, up to
     * |e| = maxMoves and within the knob's bounds. The regime then sets the learning rate to the best branch's value
     * (see {@link Regime}) when that branch's loss is below branch 0's by more than margin x the progress branch 0
     * made over its steps (the validation loss where the branches start minus branch 0's; |branch 0's| when the start
     * is not known), so the bar scales with how fast the run is learning. Every branch step is real work and is
     * counted in the run's CPU time and items seen.
     */
    public record CalibrationSpec(double at, double steps, long minSteps, double factor, int maxMoves,
                                  double margin) {
        public CalibrationSpec {
            if (!(at >= 0 && at < 1) || !(steps > 0 && steps < 1) || minSteps < 1 || !(factor > 1)
                    || maxMoves < 1 || !(margin >= 0)) {
                throw new IllegalArgumentException("calibration: 0 <= at < 1, 0 < steps < 1, min_steps >= 1,"
                        + " factor > 1, max_moves >= 1, margin >= 0 required");
            }
        }

        /** No calibration. */
        public static CalibrationSpec off() {
            return new CalibrationSpec(0, 0.5, 1, 2, 1, 0);
        }

        public boolean active() {
            return at > 0;
        }

        /** The 0-based step before whose update the branches run, for a run of budget steps. */
        public long stepFor(long budget) {
            return Math.max(1, Math.round(at * budget));
        }

        /** Steps each branch trains, for a run of budget steps. */
        public long branchSteps(long budget) {
            return Math.max(minSteps, Math.round(steps * budget));
        }

        /** True when a run of budget steps calibrates: active, and the branches end inside the budget. */
        public boolean runsIn(long budget) {
            return active() && stepFor(budget) + branchSteps(budget) <= budget;
        }
    }

    /** Knob rules that leave every knob where it is. */
    public static Map<Knob, KnobSpec> fixedKnobs() {
        Map<Knob, KnobSpec> m = new EnumMap<>(Knob.class);
        Knobs neutral = Knobs.neutral();
        for (Knob k : Knob.values()) {
            double v = neutral.get(k);
            m.put(k, new KnobSpec(k, v, k == Knob.ANCHOR ? 0 : v, v, k == Knob.ANCHOR ? 1e-9 : 1e-9, 0));
        }
        return m;
    }

    /** The schedule alone: no controllers, no probes, no snapshots. */
    public static RegimeSpec staticRegime() {
        return new RegimeSpec("static", fixedKnobs(), ProbePlan.none(), List.of(), new ArbiterSpec(1, 1, 0),
                new RingSpec(1, 0, 0));
    }

    /** The preset called name: "static", "adaptive", "conservative" or "plateau"; an error lists them otherwise. */
    public static RegimeSpec preset(String name) {
        return RegimeFiles.preset(name);
    }

    /** Reads a regime file; errors name the file, the field and what is allowed. */
    public static RegimeSpec load(Path file) {
        return RegimeFiles.load(file);
    }

    /** A preset when presetOrPath names one, else the regime file at that path. */
    public static RegimeSpec resolve(String presetOrPath) {
        return RegimeFiles.resolve(presetOrPath);
    }

    /** Parses regime JSON text; source (a file name) starts every error message. */
    public static RegimeSpec parse(String text, String source) {
        return RegimeFiles.parse(text, source);
    }

    /** Reads the map {@link #toJson()} writes (e.g. config.json's "regime"); where starts every error message. */
    public static RegimeSpec fromJson(Map<?, ?> json, String where) {
        return RegimeFiles.fromJson(json, where);
    }

    /** The JSON form, every section written out, so that {@link #fromJson} gives back an equal spec. */
    public Map<String, Object> toJson() {
        return RegimeFiles.toJson(this);
    }
}
