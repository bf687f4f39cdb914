package dev.tiller.policy.regime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Named measurements of a run at one step, as the regime reads them: what the trainer measured (every step: loss,
 * grad_norm, finite, loss_scale; at probe intervals: val_loss, per-layer norms, noise, curvature, saturation, input
 * statistics) and what the regime derives from them (EMAs, slopes, z-scores, detectors). Absent means not measured
 * this step; NaN and infinities are kept, since a non-finite value is itself a signal. Immutable, sorted by name.
 * Detectors never see the task's true phase: it is never a signal.
 */
public final class Signals {
    /** Mean training loss of the step's micro-batches. */
    public static final String LOSS = "loss";
    /** Global L2 norm of the gradient, before clipping. */
    public static final String GRAD_NORM = "grad_norm";
    /** 1 when loss and every gradient element are finite, else 0. */
    public static final String FINITE = "finite";
    /** The dynamic loss scale (f16 runs). */
    public static final String LOSS_SCALE = "loss_scale";
    /**
     * Effective learning rate of the step under the knob values in force before its decision (schedule(t) x the
     * regime's lr scale), as the optimizer would use it; injected faults never show here.
     */
    public static final String EFF_LR = "eff_lr";
    /** Effective beta1 (or SGD momentum) of the step under the knob values in force before its decision. */
    public static final String EFF_BETA1 = "eff_beta1";
    /** Validation loss, at evaluation steps. */
    public static final String VAL_LOSS = "val_loss";
    /** Prefix of per-layer gradient norms: "grad_norm/NAME". */
    public static final String LAYER_GRAD_NORM = "grad_norm/";
    /** Prefix of per-layer update-to-weight RMS ratios of the last update: "update_ratio/NAME". */
    public static final String LAYER_UPDATE_RATIO = "update_ratio/";
    /** Largest per-layer update-to-weight RMS ratio of the last update. */
    public static final String UPDATE_RATIO = "update_ratio";
    /** Unbiased estimate of |G|^2, the squared norm of the true gradient (McCandlish et al. 2018). */
    public static final String GNS_G2 = "gns_g2";
    /** Unbiased estimate of tr(Sigma), the per-sample gradient variance summed over coordinates. */
    public static final String GNS_TRACE = "gns_trace";
    /** Items per micro-batch (samples, or tokens for text) at the step the GNS pieces were measured. */
    public static final String GNS_BATCH = "gns_batch";
    /**
     * Top Hessian eigenvalue estimate (power iteration on Hessian-vector products): of P^-1 H for Adam and AdamW,
     * of H otherwise ({@link #HESSIAN_PRECONDITIONED} says which).
     */
    public static final String HESSIAN_TOP = "hessian_top";
    /**
     * With {@link #HESSIAN_TOP}: 1 when it is Adam's preconditioned sharpness lambda_max(P^-1 H), 0 when it is the
     * plain lambda_max(H) (optimizers without a diagonal preconditioner); selects the stability bound.
     */
    public static final String HESSIAN_PRECONDITIONED = "hessian_preconditioned";
    /** Fraction of ReLU outputs that are zero. */
    public static final String DEAD_RELU = "dead_relu";
    /** Fraction of GELU/tanh inputs in their flat tails. */
    public static final String SATURATION = "saturation";
    /** Mean attention entropy divided by log(keys): 1 = uniform, 0 = one-hot. */
    public static final String ATTN_ENTROPY = "attn_entropy";
    /** Mean and standard deviation of the step's input batch (floats; token ids for text). */
    public static final String INPUT_MEAN = "input_mean";
    public static final String INPUT_STD = "input_std";
    /** Loss of a fresh (not yet trained on) batch, measured before the update. */
    public static final String FRESH_LOSS = "fresh_loss";
    /** The effective clip threshold (global norm) of the step, when the recipe clips; optional. */
    public static final String EFF_CLIP = "eff_clip";
    /** The micro-batches accumulated in the step (the recipe's times the regime's scale, rounded); optional. */
    public static final String EFF_MICRO_BATCHES = "eff_micro_batches";
    /** Cosine between this update and the previous one, when a probe measures it; optional. */
    public static final String UPDATE_COS = "update_cos";

    /**
     * Prefix of the learning-rate calibration's branch scores: "lr_branch/E" = validation loss after training on
     * from the calibration step with the learning-rate knob x factor^E (see {@link RegimeSpec.CalibrationSpec}).
     */
    public static final String LR_BRANCH = "lr_branch/";
    /** The validation loss where the calibration's branches start. */
    public static final String LR_BRANCH_START = "lr_branch_start";

    private static final Signals EMPTY = new Signals(new TreeMap<>());
    private final TreeMap<String, Double> values;

    private Signals(TreeMap<String, Double> values) {
        this.values = values;
    }

    public static Signals empty() {
        return EMPTY;
    }

    public static Signals of(Map<String, Double> m) {
        return new Signals(new TreeMap<>(m));
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** The value, or NaN when absent (use {@link #has} to tell absent from a measured NaN). */
    public double get(String name) {
        Double v = values.get(name);
        return v == null ? Double.NaN : v;
    }

    /** The value when present and finite, else fallback. */
    public double finiteOr(String name, double fallback) {
        Double v = values.get(name);
        return v != null && Double.isFinite(v) ? v : fallback;
    }

    public Signals with(String name, double v) {
        TreeMap<String, Double> m = new TreeMap<>(values);
        m.put(name, v);
        return new Signals(m);
    }

    /** Both sets; other's value wins on a shared name. */
    public Signals merge(Signals other) {
        TreeMap<String, Double> m = new TreeMap<>(values);
        m.putAll(other.values);
        return new Signals(m);
    }

    public Map<String, Double> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /**
     * JSON form: finite values as numbers, non-finite ones as the strings "NaN", "Infinity", "-Infinity" (JSON has
     * no such numbers, and replay must read back exactly what the regime saw).
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k, Double.isFinite(v) ? (Object) v : Double.toString(v)));
        return m;
    }

    /** Reads {@link #toJson()}'s form back, bit for bit (shortest decimal text round-trips every double). */
    public static Signals fromJson(Map<?, ?> json) {
        TreeMap<String, Double> m = new TreeMap<>();
        json.forEach((k, v) -> m.put((String) k, switch (v) {
            case Number n -> n.doubleValue();
            case String s -> Double.parseDouble(s);
            case null -> Double.NaN;
            default -> throw new IllegalArgumentException("signal " + k + ": not a number: " + v);
        }));
        return new Signals(m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Signals s && s.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
