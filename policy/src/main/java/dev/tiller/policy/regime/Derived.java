package dev.tiller.policy.regime;

/**
 * Names of the signals {@link SignalBank} derives from the measured ones. Every one is normalised (a relative slope, a
 * z-score, a ratio, a count or a 0/1 flag) so that a threshold on it carries across model sizes. A derived value
 * stays at its last value until its inputs are measured again (finite); flags marked "pulse" are reset every step.
 */
public final class Derived {
    private Derived() {}

    /** EMA of the training loss, short time constant (default decay 0.9: about 10 steps). */
    public static final String LOSS_EMA_SHORT = "loss_ema_short";
    /** EMA of the training loss, long time constant (default decay 0.99: about 100 steps). */
    public static final String LOSS_EMA_LONG = "loss_ema_long";
    /** Time constant of the long loss EMA in steps, 1 / (1 - decay): the delay before a change shows in it. */
    public static final String LOSS_EMA_TAU = "loss_ema_tau";
    /** Relative change per step of the long EMA, smoothed: (E_t - E_t-1) / E_t-1; negative while the loss falls. */
    public static final String LOSS_SLOPE = "loss_slope";
    /** Long loss EMA divided by its value when the z-score warm-up ended: 1 at the start, toward 0 with progress. */
    public static final String LOSS_PROGRESS = "loss_progress";
    /** Robust z-score of the loss against its EMA mean and variance (outliers kept out of both). */
    public static final String LOSS_Z = "loss_z";
    /**
     * Upside rms of loss_z: sqrt of a short EMA of min(2 max(z, 0)^2, 25). About 1 on stationary noise, above 1 when
     * the loss swings up more than its long-run variance says; a falling trend (negative z) does not raise it.
     */
    public static final String LOSS_Z_RMS = "loss_z_rms";
    /** Robust z-score of the global gradient norm. */
    public static final String GRAD_NORM_Z = "grad_norm_z";
    /** As {@link #LOSS_Z_RMS}, for the gradient norm. */
    public static final String GRAD_NORM_Z_RMS = "grad_norm_z_rms";
    /** Time constant of the z rms EMAs in steps, 1 / (1 - decay). */
    public static final String Z_RMS_TAU = "z_rms_tau";
    /** Coefficient of variation of the gradient norm: sqrt(EMA variance) / EMA mean. */
    public static final String GRAD_NORM_CV = "grad_norm_cv";
    /** Prefix of per-layer gradient-norm z-scores: "grad_norm_z/NAME" for the measured "grad_norm/NAME". */
    public static final String LAYER_GRAD_NORM_Z = "grad_norm_z/";
    /** Largest per-layer gradient-norm z-score of the last layer-norm probe. */
    public static final String LAYER_Z_MAX = "layer_z_max";
    /** 1 when the smoothed validation loss has not improved for patience evaluations, else 0. */
    public static final String PLATEAU = "plateau";
    /** Steps since the smoothed validation loss last improved by the relative threshold. */
    public static final String PLATEAU_STEPS = "plateau_steps";
    /** Evaluations since the smoothed validation loss last improved by the relative threshold. */
    public static final String PLATEAU_EVALS = "plateau_evals";
    /** Validation loss, EMA over evaluations (default decay 0.5). */
    public static final String VAL_SMOOTH = "val_smooth";
    /** Relative generalisation gap: (smoothed val loss - long train EMA) / |long train EMA|. */
    public static final String GAP = "gap";
    /** McCandlish simple noise scale B_simple = EMA(gns_trace) / EMA(gns_g2), in samples. */
    public static final String NOISE_SCALE = "noise_scale";
    /** hessian_top x eff_lr / bound, bound the optimizer family's stability threshold; above 1 is unstable. */
    public static final String SHARPNESS_RATIO = "sharpness_ratio";
    /** Largest stable effective learning rate at the last curvature probe: bound / hessian_top. */
    public static final String STABLE_LR = "stable_lr";
    /** Consecutive curvature probes with sharpness_ratio above 1. */
    public static final String SHARPNESS_OVER = "sharpness_over";
    /** Valid curvature probes so far (a controller sees a new probe when this grows). */
    public static final String SHARPNESS_PROBES = "sharpness_probes";
    /** The bound of the last curvature probe: 1 Adam's (on lambda_max(P^-1 H)), 0 heavy ball's (on lambda_max(H)). */
    public static final String SHARPNESS_PRECONDITIONED = "sharpness_preconditioned";
    /** Sign changes of the step-to-step loss difference in the last window (white noise: about 2/3 of it). */
    public static final String SLOPE_SIGN_CHANGES = "slope_sign_changes";
    /** The window of {@link #SLOPE_SIGN_CHANGES}, in loss differences. */
    public static final String SIGN_WINDOW = "sign_window";
    /** Largest Page-Hinkley statistic of the shift detectors, in standard deviations. */
    public static final String SHIFT_PH = "shift_ph";
    /** Prefix of each detector's statistic: "shift_ph/fresh_loss", "shift_ph/input_mean". */
    public static final String SHIFT_PH_PREFIX = "shift_ph/";
    /** Pulse: 1 on the step a shift detector fires, else 0. */
    public static final String SHIFT = "shift";
    /** Pulse: 1 when the step is anomalous (non-finite anywhere, or loss_z / grad_norm_z above the threshold). */
    public static final String ANOMALY = "anomaly";
    /** Pulse: 1 when the step holds a non-finite value (finite = 0, or a non-finite loss or gradient norm). */
    public static final String NON_FINITE = "non_finite";

    /** "grad_norm_z/NAME". */
    public static String layerZ(String layer) {
        return LAYER_GRAD_NORM_Z + layer;
    }
}
