package dev.tiller.policy.log;

import dev.tiller.policy.regime.Signals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One events.jsonl line. step is the metrics row of the step the event belongs to (1-based: the count of finished
 * steps once that step is done); run_start is step 0 and phase_change the count of steps finished before the new
 * phase's first. Evidence and signals are written as {@link Signals#toJson()} writes them (non-finite values as
 * strings), so they read back exactly.
 */
public sealed interface Event {
    long step();

    /** The "event" field: "run_start", "decision", ... */
    String name();

    /** The fields after "step" and "event", in order. */
    Map<String, Object> fields();

    /** {"step": .., "event": .., fields...}. */
    default Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step());
        m.put("event", name());
        m.putAll(fields());
        return m;
    }

    private static Map<String, Object> of(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static Map<String, Object> evidence(Map<String, Double> e) {
        return Signals.of(new TreeMap<>(e)).toJson();
    }

    /** The run begins: its task and regime, and the rollback ring's capacity in snapshots. */
    record RunStart(long step, String task, String regime, int ringCapacity) implements Event {
        public String name() {
            return "run_start";
        }

        public Map<String, Object> fields() {
            return of("task", task, "regime", regime, "ring_capacity", ringCapacity);
        }
    }

    /** The data's phase changes (scoring only: the regime never sees it). */
    record PhaseChange(long step, int from, int to, Object data) implements Event {
        public String name() {
            return "phase_change";
        }

        public Map<String, Object> fields() {
            return of("from", from, "to", to, "data", data);
        }
    }

    record Eval(long step, Map<String, Double> metrics) implements Event {
        public Eval {
            metrics = new TreeMap<>(metrics);
        }

        public String name() {
            return "eval";
        }

        public Map<String, Object> fields() {
            return of("metrics", metrics);
        }
    }

    /** The step's update was not applied: why, and the step's training loss. */
    record SkippedStep(long step, String reason, double trainLoss) implements Event {
        public String name() {
            return "skipped_step";
        }

        public Map<String, Object> fields() {
            return of("reason", reason, "train_loss", trainLoss);
        }
    }

    /** A fault injected into this step (its spec, e.g. "lr-spike@900x100"). */
    record Inject(long step, String fault, String spec) implements Event {
        public String name() {
            return "inject";
        }

        public Map<String, Object> fields() {
            return of("fault", fault, "spec", spec);
        }
    }

    /** A knob change the regime made before this step's update. */
    record Decision(long step, String controller, String knob, double old, double now, String reason,
                    Map<String, Double> signals) implements Event {
        public Decision {
            signals = Map.copyOf(signals);
        }

        public String name() {
            return "decision";
        }

        public Map<String, Object> fields() {
            return of("controller", controller, "knob", knob, "old", old, "new", now, "reason", reason, "signals",
                    evidence(signals));
        }
    }

    /** A proposal the arbiter turned down. knob and target are null for rollback and skip proposals. */
    record Rejected(long step, String controller, String action, String knob, Double target, String why,
                    String reason, Map<String, Double> signals) implements Event {
        public Rejected {
            signals = Map.copyOf(signals);
        }

        public String name() {
            return "rejected";
        }

        public Map<String, Object> fields() {
            return of("controller", controller, "action", action, "knob", knob, "target", target, "why", why,
                    "reason", reason, "signals", evidence(signals));
        }
    }

    /**
     * The signal bank flagged this step (a non-finite loss or gradient, or a loss or gradient-norm z-score above its
     * threshold), whatever the regime then did: a report under every regime, static included.
     */
    record Anomaly(long step, Map<String, Double> signals) implements Event {
        public String name() {
            return "anomaly";
        }

        public Map<String, Object> fields() {
            return of("signals", evidence(signals));
        }
    }

    /** The run went back to the snapshot taken after step to (1-based); restored false when the ring had none. */
    record Rollback(long step, long to, boolean restored, String why) implements Event {
        public String name() {
            return "rollback";
        }

        public Map<String, Object> fields() {
            return of("to", to, "restored", restored, "why", why);
        }
    }

    /** A snapshot went into the rollback ring after this step; bytes the ring holds now. */
    record Snapshot(long step, long ringBytes) implements Event {
        public String name() {
            return "snapshot";
        }

        public Map<String, Object> fields() {
            return of("ring_bytes", ringBytes);
        }
    }

    /** The end of a trial: the provisional change was kept or reverted. */
    record TrialVerdict(long step, String controller, String knob, boolean kept, String reason,
                        Map<String, Double> signals) implements Event {
        public TrialVerdict {
            signals = Map.copyOf(signals);
        }

        public String name() {
            return "trial_verdict";
        }

        public Map<String, Object> fields() {
            return of("controller", controller, "knob", knob, "kept", kept, "reason", reason, "signals",
                    evidence(signals));
        }
    }

    /**
     * The run stopped at step: its parameters are no longer finite, or its last steps all were and were skipped,
     * and nothing restored them (no rollback ring, or a rollback that found no snapshot); what says why, in words.
     */
    record Diverged(long step, String what) implements Event {
        public String name() {
            return "diverged";
        }

        public Map<String, Object> fields() {
            return of("what", what);
        }
    }

    /** The process was asked to stop (Ctrl-C, SIGTERM) after step steps had finished; how, in words. */
    record Interrupted(long step, String how) implements Event {
        public String name() {
            return "interrupted";
        }

        public Map<String, Object> fields() {
            return of("how", how);
        }
    }

    /**
     * A checkpoint of the state after step was committed to path: its bytes, how long training waited for the copy
     * (stall) and how long the write took on the checkpoint thread.
     */
    record Checkpoint(long step, String path, long bytes, double stallSeconds, double writeSeconds)
            implements Event {
        public String name() {
            return "checkpoint";
        }

        public Map<String, Object> fields() {
            return of("path", path, "bytes", bytes, "stall_s", stallSeconds, "write_s", writeSeconds);
        }
    }

    /** Saving step's checkpoint failed; the previous checkpoints are as they were. */
    record CheckpointFailed(long step, String error) implements Event {
        public String name() {
            return "checkpoint_failed";
        }

        public Map<String, Object> fields() {
            return of("error", error);
        }
    }

    /**
     * The run resumed from the checkpoint at path after step: the log lines after it that were dropped (the steps
     * being run again), the newer checkpoints passed over and why, and the command-line overrides in force.
     */
    record Resumed(long step, String path, long droppedMetricsBytes, long droppedEventsBytes,
                   List<String> skipped, Map<String, Object> overrides) implements Event {
        public String name() {
            return "resumed";
        }

        public Map<String, Object> fields() {
            return of("path", path, "dropped_metrics_bytes", droppedMetricsBytes, "dropped_events_bytes",
                    droppedEventsBytes, "skipped", skipped, "overrides", overrides);
        }
    }

    record RunEnd(long step, double seconds, long skippedSteps, long ringBytes) implements Event {
        public String name() {
            return "run_end";
        }

        public Map<String, Object> fields() {
            return of("seconds", seconds, "skipped_steps", skippedSteps, "ring_bytes", ringBytes);
        }
    }
}
