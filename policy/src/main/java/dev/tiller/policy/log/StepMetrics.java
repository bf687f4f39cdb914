package dev.tiller.policy.log;

import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Signals;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One metrics.jsonl row: what step (1-based, the count of finished steps) measured and used. lr is the learning rate
 * the update used (faults included); knobs are the regime's values and effective the values they produced, by knob
 * name; signals is exactly what the regime decided the step from (replay reads it back), derived what the regime
 * derived from it. phase is the data's true phase, for scoring only; it is never a signal.
 *
 * @param phase     null when the data does not shift
 * @param lr        null when the optimizer has no learning rate knob
 * @param lossScale null unless float16 loss scaling runs
 * @param clipScale null unless clipping changed the gradients
 * @param rateKey   the throughput's key: "tokens_per_s" or "samples_per_s"
 * @param eval      validation metrics when the step evaluated, else empty
 * @param itemsSeen training items (tokens for text, samples for images, nodes for graphs) seen so far, skipped and
 *                  rolled-back steps included: the compute spent
 * @param trainCpuSeconds process CPU time spent in training steps so far (evaluation excluded, as AlgoPerf leaves it
 *                  off the clock)
 */
public record StepMetrics(long step, double trainLoss, Integer phase, Float lr, Float lossScale, double gradNorm,
                          Double clipScale, String rateKey, double rate, Map<String, Double> eval, long itemsSeen,
                          double trainCpuSeconds, Knobs knobs, Map<String, Number> effective, Signals signals,
                          Signals derived) {
    public StepMetrics {
        eval = Map.copyOf(eval);
        effective = Collections.unmodifiableMap(new LinkedHashMap<>(effective));
    }

    /** The JSON object of the row, keys in a fixed order. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("train_loss", trainLoss);
        if (phase != null) {
            m.put("phase", phase);
        }
        if (lr != null) {
            m.put("lr", lr);
        }
        if (lossScale != null) {
            m.put("loss_scale", lossScale);
        }
        m.put("grad_norm", gradNorm);
        if (clipScale != null) {
            m.put("clip_scale", clipScale);
        }
        m.put(rateKey, rate);
        m.put("items_seen", itemsSeen);
        m.put("train_cpu_s", trainCpuSeconds);
        eval.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> m.put(e.getKey(), e.getValue()));
        m.put("knobs", knobs.toMap());
        m.put("effective", effective);
        m.put("signals", signals.toJson());
        m.put("derived", derived.toJson());
        return m;
    }
}
