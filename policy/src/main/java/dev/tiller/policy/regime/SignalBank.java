package dev.tiller.policy.regime;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Derives the regime's normalised signals ({@link Derived}) from what the trainer measured ({@link Signals}). Pure:
 * {@code update(state, step, measured)} returns a new immutable state and the derived values, so replay over logged
 * measurements reproduces them exactly.
 * <p>
 * Rules every derivation follows:
 * <ul>
 *   <li>A missing or non-finite input never enters an EMA: the update is skipped and the derived value keeps its last
 *       value (pulses such as {@link Derived#ANOMALY} and {@link Derived#SHIFT} are recomputed every step).</li>
 *   <li>Loss and gradient-norm statistics are robust: a value whose z exceeds {@link Params#outlierZ} (after the
 *       warm-up; upward only, since a value below the lagging mean is progress) stays out of the mean, the variance
 *       and the loss EMAs, so a spike does not inflate them; after
 *       {@link Params#maxExcluded} consecutive outliers the next value is let in again, since a change that lasts
 *       is a new level, not a spike.</li>
 *   <li>Statistics are EMAs with rate max(1 - decay, 1/n) for the n-th value: a plain mean at first (no bias toward
 *       zero), an EMA once n exceeds the time constant 1 / (1 - decay). Variance by West's incremental rule.</li>
 *   <li>z-scores, slopes and detectors appear only after {@link Params#warmup} admitted values, so a controller never
 *       acts on a statistic of too few values.</li>
 * </ul>
 */
public final class SignalBank {
    private static final double Z_RMS_CLAMP = 25;       // cap of one value in the rms, so one spike moves it boundedly

    private final Params p;

    private SignalBank(Params p) {
        this.p = p;
    }

    /**
     * The bank for spec, with the default {@link Params}: RegimeSpec carries no signals block yet; a regime file's
     * block goes through {@link Params#fromMap} and {@link #of(Params)}.
     */
    public static SignalBank of(RegimeSpec spec) {
        return new SignalBank(Params.fromMap(spec.signals(), "regime " + spec.name() + ": signals"));
    }

    /** The bank with explicit params (a regime file's "signals" block read by {@link Params#fromMap}). */
    public static SignalBank of(Params params) {
        return new SignalBank(params);
    }

    public Params params() {
        return p;
    }

    /**
     * Thresholds and decays of the derivations. Defaults, with why:
     *
     * @param shortDecay       loss_ema_short decay, 0.9 (about 10 steps: follows the loss, smooths step noise)
     * @param longDecay        loss_ema_long decay, 0.99 (about 100 steps: the trend)
     * @param slopeDecay       smoothing of the long EMA's relative change into loss_slope, 0.95 (about 20 steps)
     * @param statDecay        EMA decay of the mean and variance behind every z-score, 0.98 (about 50 values)
     * @param warmup           admitted values before a z-score, slope or detector is reported, 20
     * @param outlierZ         z above which a value stays out of the statistics, 4 (a Gaussian tail of 3e-5)
     * @param maxExcluded      consecutive outliers after which the next value is admitted anyway, 8
     * @param anomalyZ         loss_z or grad_norm_z above which a step is anomalous, 6 (OLMo-core's skip rule)
     * @param zRmsDecay        decay of the z-score rms, 0.9 (recent: about 10 values)
     * @param signWindow       loss differences in the slope_sign_changes window, 20 (at most 62)
     * @param valDecay         EMA decay of the validation loss over evaluations, 0.5
     * @param plateauThreshold relative improvement of the smoothed val loss that counts, 0.005
     * @param plateauPatience  evaluations without improvement before plateau = 1, 5
     * @param gnsDecay         EMA decay of gns_trace and gns_g2 before their ratio, 0.9 per probe
     * @param family           "adam" (bound (2 + 2 beta1) / (1 - beta1), 38 at beta1 = 0.9, on the preconditioned
     *                         sharpness) or "sgd" (heavy-ball bound 2 + 2 beta1, 2 without momentum); Cohen et al.
     *                         Only for curvature signals without hessian_preconditioned, which otherwise decides
     * @param phDelta          Page-Hinkley drift allowance, in standard deviations per value, 0.5
     * @param phLambda         Page-Hinkley alarm threshold, in standard deviations, 25
     * @param phClamp          each value's z is clamped to +-phClamp before it enters the detector, 5, so one outlier
     *                         cannot fire it alone (a spike is the spike controller's business)
     */
    public record Params(double shortDecay, double longDecay, double slopeDecay, double statDecay, int warmup,
                         double outlierZ, int maxExcluded, double anomalyZ, double zRmsDecay, int signWindow,
                         double valDecay, double plateauThreshold, int plateauPatience, double gnsDecay, String family,
                         double phDelta, double phLambda, double phClamp) {
        /** Field names in a regime file's signals block. */
        public static final Set<String> FIELDS = Set.of("short_decay", "long_decay", "slope_decay", "stat_decay",
                "warmup", "outlier_z", "max_excluded", "anomaly_z", "z_rms_decay", "sign_window", "val_decay",
                "plateau_threshold", "plateau_patience", "gns_decay", "family", "ph_delta", "ph_lambda", "ph_clamp");

        public static Params defaults() {
            return new Params(0.9, 0.99, 0.95, 0.98, 20, 4, 8, 6, 0.9, 20, 0.5, 0.005, 5, 0.9, "adam", 0.5, 25, 5);
        }

        /** Params from a JSON block (absent fields take the defaults); errors name where and the field. */
        public static Params fromMap(Map<String, Object> m, String where) {
            ParamReader r = new ParamReader(m, where, FIELDS);
            Params d = defaults();
            String decay = "[0, 1)";
            return new Params(
                    r.num("short_decay", d.shortDecay, v -> v >= 0 && v < 1, decay),
                    r.num("long_decay", d.longDecay, v -> v >= 0 && v < 1, decay),
                    r.num("slope_decay", d.slopeDecay, v -> v >= 0 && v < 1, decay),
                    r.num("stat_decay", d.statDecay, v -> v >= 0 && v < 1, decay),
                    (int) r.integer("warmup", d.warmup, 2, 100_000),
                    r.num("outlier_z", d.outlierZ, v -> v > 0, "(0, +inf)"),
                    (int) r.integer("max_excluded", d.maxExcluded, 0, 100_000),
                    r.num("anomaly_z", d.anomalyZ, v -> v > 0, "(0, +inf)"),
                    r.num("z_rms_decay", d.zRmsDecay, v -> v >= 0 && v < 1, decay),
                    (int) r.integer("sign_window", d.signWindow, 2, 62),
                    r.num("val_decay", d.valDecay, v -> v >= 0 && v < 1, decay),
                    r.num("plateau_threshold", d.plateauThreshold, v -> v >= 0 && v < 1, "[0, 1)"),
                    (int) r.integer("plateau_patience", d.plateauPatience, 1, 100_000),
                    r.num("gns_decay", d.gnsDecay, v -> v >= 0 && v < 1, decay),
                    r.choice("family", d.family, "adam", "sgd"),
                    r.num("ph_delta", d.phDelta, v -> v >= 0, "[0, +inf)"),
                    r.num("ph_lambda", d.phLambda, v -> v > 0, "(0, +inf)"),
                    r.num("ph_clamp", d.phClamp, v -> v > 0, "(0, +inf)"));
        }

        /** Time constant of the long loss EMA, in steps. */
        public double longTau() {
            return 1 / (1 - longDecay);
        }
    }

    /**
     * Running mean and variance with outlier exclusion: n admitted values, excluded the current run of consecutive
     * outliers kept out.
     */
    public record Stat(long n, double mean, double var, int excluded) {
        static final Stat EMPTY = new Stat(0, 0, 0, 0);

        /**
         * (x - mean) / std, with a relative floor of 1e-6 (|mean| + |x|) on std, so a constant series gives a finite,
         * bounded z (at most 1e6) and a change far below any real noise level is no spike.
         */
        double z(double x) {
            double std = Math.sqrt(var) + 1e-6 * (Math.abs(mean) + Math.abs(x)) + 1e-300;
            return (x - mean) / std;
        }

        Stat add(double x, double decay) {
            double a = Math.max(1 - decay, 1.0 / (n + 1));
            double d = x - mean;
            return new Stat(n + 1, mean + a * d, (1 - a) * (var + a * d * d), 0);
        }

        Stat exclude() {
            return new Stat(n, mean, var, excluded + 1);
        }
    }

    /** An EMA with the same start rule as {@link Stat}: value is NaN until the first input. */
    public record Ema(long n, double value) {
        static final Ema EMPTY = new Ema(0, Double.NaN);

        Ema add(double x, double decay) {
            double a = Math.max(1 - decay, 1.0 / (n + 1));
            return new Ema(n + 1, n == 0 ? x : value + a * (x - value));
        }
    }

    /** A two-sided Page-Hinkley (CUSUM form) detector on a signal's z-score against its own running statistics. */
    public record Detector(Stat stat, double up, double down) {
        static final Detector EMPTY = new Detector(Stat.EMPTY, 0, 0);

        double statistic() {
            return Math.max(up, down);
        }
    }

    /** Everything the bank carries between steps; immutable. */
    public record State(Stat loss, Stat grad, Map<String, Stat> layers, Ema lossShort, Ema lossLong, Ema slope,
                        double lossStart, Ema lossZRms, Ema gradZRms, double prevLoss, int prevSign, long signBits,
                        long diffs, Ema val, double valRef, long lastImprove, long evalsSince, Ema gnsTrace,
                        Ema gnsG2, long sharpProbes, long sharpOver, Detector fresh, Detector input, Signals derived) {
        public State {
            layers = Collections.unmodifiableMap(new TreeMap<>(layers));
        }
    }

    /** The bank's output for one step: the next state and every derived signal (last values kept). */
    public record Result(State state, Signals derived) {}

    public State initial() {
        return new State(Stat.EMPTY, Stat.EMPTY, Map.of(), Ema.EMPTY, Ema.EMPTY, Ema.EMPTY, Double.NaN, Ema.EMPTY,
                Ema.EMPTY, Double.NaN, 0, 0, 0, Ema.EMPTY, Double.NaN, -1, 0, Ema.EMPTY, Ema.EMPTY, 0, 0,
                Detector.EMPTY, Detector.EMPTY, Signals.empty());
    }

    /** Folds step's measurements into s; returns the new state and the derived signals. */
    public Result update(State s, long step, Signals measured) {
        Map<String, Double> out = new TreeMap<>(s.derived().asMap());
        out.put(Derived.LOSS_EMA_TAU, p.longTau());
        out.put(Derived.SIGN_WINDOW, (double) p.signWindow);
        out.put(Derived.Z_RMS_TAU, 1 / (1 - p.zRmsDecay));

        boolean nonFinite = measured.has(Signals.FINITE) && !(measured.get(Signals.FINITE) == 1.0);
        nonFinite |= measured.has(Signals.LOSS) && !Double.isFinite(measured.get(Signals.LOSS));
        nonFinite |= measured.has(Signals.GRAD_NORM) && !Double.isFinite(measured.get(Signals.GRAD_NORM));
        boolean zAnomaly = false;

        // Loss: z-score, robust statistics, EMAs, slope, sign changes.
        Stat loss = s.loss();
        Ema lossShort = s.lossShort();
        Ema lossLong = s.lossLong();
        Ema slope = s.slope();
        double lossStart = s.lossStart();
        Ema lossZRms = s.lossZRms();
        double prevLoss = s.prevLoss();
        int prevSign = s.prevSign();
        long signBits = s.signBits();
        long diffs = s.diffs();
        double x = measured.get(Signals.LOSS);
        if (Double.isFinite(x)) {
            double z = loss.z(x);
            boolean warm = loss.n() >= p.warmup;
            if (warm) {
                out.put(Derived.LOSS_Z, z);
                lossZRms = lossZRms.add(upsideSquare(z), p.zRmsDecay);
                out.put(Derived.LOSS_Z_RMS, Math.sqrt(lossZRms.value()));
                zAnomaly |= z > p.anomalyZ;
            }
            if (admit(loss, z, warm)) {
                loss = loss.add(x, p.statDecay);
                lossShort = lossShort.add(x, p.shortDecay);
                double before = lossLong.value();
                lossLong = lossLong.add(x, p.longDecay);
                if (Double.isFinite(before) && before != 0) {
                    slope = slope.add((lossLong.value() - before) / Math.abs(before), p.slopeDecay);
                }
                if (Double.isNaN(lossStart) && loss.n() >= p.warmup) {
                    lossStart = lossLong.value();
                }
                if (Double.isFinite(prevLoss)) {
                    int sign = (int) Math.signum(x - prevLoss);
                    if (sign != 0) {
                        long changed = prevSign != 0 && sign != prevSign ? 1 : 0;
                        signBits = ((signBits << 1) | changed) & ((1L << p.signWindow) - 1);
                        diffs++;
                        prevSign = sign;
                    }
                }
                prevLoss = x;
                out.put(Derived.LOSS_EMA_SHORT, lossShort.value());
                out.put(Derived.LOSS_EMA_LONG, lossLong.value());
                if (loss.n() >= p.warmup && slope.n() > 0) {
                    out.put(Derived.LOSS_SLOPE, slope.value());
                }
                if (Double.isFinite(lossStart) && lossStart != 0) {
                    out.put(Derived.LOSS_PROGRESS, lossLong.value() / lossStart);
                }
                if (diffs > p.signWindow) {
                    out.put(Derived.SLOPE_SIGN_CHANGES, (double) Long.bitCount(signBits));
                }
            } else {
                loss = loss.exclude();
            }
        }

        // Global gradient norm.
        Stat grad = s.grad();
        Ema gradZRms = s.gradZRms();
        double g = measured.get(Signals.GRAD_NORM);
        if (Double.isFinite(g)) {
            double z = grad.z(g);
            boolean warm = grad.n() >= p.warmup;
            if (warm) {
                out.put(Derived.GRAD_NORM_Z, z);
                gradZRms = gradZRms.add(upsideSquare(z), p.zRmsDecay);
                out.put(Derived.GRAD_NORM_Z_RMS, Math.sqrt(gradZRms.value()));
                zAnomaly |= z > p.anomalyZ;
            }
            grad = admit(grad, z, warm) ? grad.add(g, p.statDecay) : grad.exclude();
            if (grad.n() >= p.warmup && grad.mean() > 0) {
                out.put(Derived.GRAD_NORM_CV, Math.sqrt(grad.var()) / grad.mean());
            }
        }

        // Per-layer gradient norms.
        Map<String, Stat> layers = new TreeMap<>(s.layers());
        double zMax = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Double> e : measured.asMap().entrySet()) {
            String key = e.getKey();
            double v = e.getValue();
            if (!key.startsWith(Signals.LAYER_GRAD_NORM) || !Double.isFinite(v)) {
                continue;
            }
            String layer = key.substring(Signals.LAYER_GRAD_NORM.length());
            Stat st = layers.getOrDefault(layer, Stat.EMPTY);
            double z = st.z(v);
            boolean warm = st.n() >= p.warmup;
            if (warm) {
                out.put(Derived.layerZ(layer), z);
                zMax = Math.max(zMax, z);
            }
            layers.put(layer, admit(st, z, warm) ? st.add(v, p.statDecay) : st.exclude());
        }
        if (zMax > Double.NEGATIVE_INFINITY) {
            out.put(Derived.LAYER_Z_MAX, zMax);
        }

        // Validation loss: smoothed, plateau against a reference that follows the smoothed value up.
        Ema val = s.val();
        double valRef = s.valRef();
        long lastImprove = s.lastImprove();
        long evalsSince = s.evalsSince();
        double v = measured.get(Signals.VAL_LOSS);
        if (Double.isFinite(v)) {
            val = val.add(v, p.valDecay);
            double sm = val.value();
            if (Double.isNaN(valRef) || sm < valRef - p.plateauThreshold * Math.abs(valRef)) {
                valRef = sm;
                lastImprove = step;
                evalsSince = 0;
            } else {
                evalsSince++;
                valRef = Math.max(valRef, sm);      // a rise re-anchors, so recovering from a spike counts as progress
            }
            out.put(Derived.VAL_SMOOTH, sm);
            out.put(Derived.PLATEAU_EVALS, (double) evalsSince);
        }
        if (lastImprove >= 0) {
            out.put(Derived.PLATEAU_STEPS, (double) (step - lastImprove));
            out.put(Derived.PLATEAU, evalsSince >= p.plateauPatience ? 1.0 : 0.0);
        }
        if (val.n() > 0 && Double.isFinite(lossLong.value()) && lossLong.value() != 0) {
            out.put(Derived.GAP, (val.value() - lossLong.value()) / Math.abs(lossLong.value()));
        }

        // Gradient noise scale.
        Ema trace = s.gnsTrace();
        Ema g2 = s.gnsG2();
        double tr = measured.get(Signals.GNS_TRACE);
        double gg = measured.get(Signals.GNS_G2);
        if (Double.isFinite(tr) && Double.isFinite(gg)) {
            trace = trace.add(tr, p.gnsDecay);
            g2 = g2.add(gg, p.gnsDecay);
            if (g2.value() > 0 && trace.value() > 0) {
                out.put(Derived.NOISE_SCALE, trace.value() / g2.value());
            }
        }

        // Curvature against the optimizer's stability bound.
        long sharpProbes = s.sharpProbes();
        long sharpOver = s.sharpOver();
        double bound = stabilityBound(measured);
        double lam = measured.get(Signals.HESSIAN_TOP);
        double lr = measured.get(Signals.EFF_LR);
        if (Double.isFinite(lam) && Double.isFinite(lr) && lr > 0 && Double.isFinite(bound)) {
            double ratio = Math.max(lam, 0) * lr / bound;
            sharpProbes++;
            sharpOver = ratio > 1 ? sharpOver + 1 : 0;
            out.put(Derived.SHARPNESS_RATIO, ratio);
            if (lam > 0) {
                out.put(Derived.STABLE_LR, bound / lam);
            } else {
                out.remove(Derived.STABLE_LR);      // no positive curvature: no bound on the LR from this probe
            }
            out.put(Derived.SHARPNESS_OVER, (double) sharpOver);
            out.put(Derived.SHARPNESS_PROBES, (double) sharpProbes);
            out.put(Derived.SHARPNESS_PRECONDITIONED, "adam".equals(family(measured)) ? 1.0 : 0.0);
        }

        // Distribution shift: Page-Hinkley on fresh-batch loss (rises only) and input mean (either way).
        boolean shift = false;
        Detector fresh = detect(s.fresh(), measured.get(Signals.FRESH_LOSS), false);
        Detector input = detect(s.input(), measured.get(Signals.INPUT_MEAN), true);
        if (Double.isFinite(measured.get(Signals.FRESH_LOSS))) {
            shift |= fresh.statistic() > p.phLambda;
            out.put(Derived.SHIFT_PH_PREFIX + Signals.FRESH_LOSS, fresh.statistic());
        }
        if (Double.isFinite(measured.get(Signals.INPUT_MEAN))) {
            shift |= input.statistic() > p.phLambda;
            out.put(Derived.SHIFT_PH_PREFIX + Signals.INPUT_MEAN, input.statistic());
        }
        if (fresh.statistic() > p.phLambda) {
            fresh = Detector.EMPTY;                 // fired: restart on the new level
        }
        if (input.statistic() > p.phLambda) {
            input = Detector.EMPTY;
        }
        double ph = Math.max(out.getOrDefault(Derived.SHIFT_PH_PREFIX + Signals.FRESH_LOSS, 0.0),
                out.getOrDefault(Derived.SHIFT_PH_PREFIX + Signals.INPUT_MEAN, 0.0));
        if (out.containsKey(Derived.SHIFT_PH_PREFIX + Signals.FRESH_LOSS)
                || out.containsKey(Derived.SHIFT_PH_PREFIX + Signals.INPUT_MEAN)) {
            out.put(Derived.SHIFT_PH, ph);
        }
        out.put(Derived.SHIFT, shift ? 1.0 : 0.0);
        out.put(Derived.NON_FINITE, nonFinite ? 1.0 : 0.0);
        out.put(Derived.ANOMALY, nonFinite || zAnomaly ? 1.0 : 0.0);

        Signals derived = Signals.of(out);
        State next = new State(loss, grad, layers, lossShort, lossLong, slope, lossStart, lossZRms, gradZRms, prevLoss,
                prevSign, signBits, diffs, val, valRef, lastImprove, evalsSince, trace, g2, sharpProbes, sharpOver,
                fresh, input, derived);
        return new Result(next, derived);
    }

    /**
     * The optimizer's local quadratic stability threshold on lr x sharpness (Cohen et al. 2022, arXiv 2207.14484):
     * "sgd": 2 + 2 beta1 (heavy ball; 2 for plain SGD, beta1 taken as 0 when not measured); "adam": (2 + 2 beta1) /
     * (1 - beta1) on the preconditioned sharpness, 38 at beta1 = 0.9, NaN when beta1 is not measured. The family is
     * what the probe measured ({@link #family(Signals)}), so each bound meets the sharpness it is about.
     */
    public double stabilityBound(Signals measured) {
        double b = measured.get(Signals.EFF_BETA1);
        if ("sgd".equals(family(measured))) {
            double beta = Double.isFinite(b) ? Math.max(0, Math.min(b, 1)) : 0;
            return 2 + 2 * beta;
        }
        if (!Double.isFinite(b) || b < 0 || b >= 1) {
            return Double.NaN;
        }
        return (2 + 2 * b) / (1 - b);
    }

    /**
     * The bound's family for measured: "adam" when hessian_preconditioned = 1 (hessian_top is lambda_max(P^-1 H)),
     * "sgd" when it is 0 (lambda_max(H)), the params' family when it is absent (signals from before the flag).
     */
    public String family(Signals measured) {
        double pre = measured.get(Signals.HESSIAN_PRECONDITIONED);
        return pre == 1.0 ? "adam" : pre == 0.0 ? "sgd" : p.family;
    }

    /** Same bound for an explicit beta1 (the momentum controller checks a proposed beta1 against it). */
    public static double stabilityBound(String family, double beta1) {
        if ("sgd".equals(family)) {
            return 2 + 2 * beta1;
        }
        return (2 + 2 * beta1) / (1 - beta1);
    }

    /** Only upward outliers stay out: a loss or norm that falls faster than its EMA follows is progress, no spike. */
    private boolean admit(Stat st, double z, boolean warm) {
        return !warm || z <= p.outlierZ || st.excluded() >= p.maxExcluded;
    }

    /** The upside square of z, doubled so symmetric noise averages 1, capped so one spike moves the rms boundedly. */
    private static double upsideSquare(double z) {
        double u = Math.max(z, 0);
        return Math.min(2 * u * u, Z_RMS_CLAMP);
    }

    private Detector detect(Detector d, double x, boolean twoSided) {
        if (!Double.isFinite(x)) {
            return d;
        }
        Stat st = d.stat();
        if (st.n() < p.warmup) {
            return new Detector(st.add(x, p.statDecay), 0, 0);
        }
        double z = Math.max(-p.phClamp, Math.min(p.phClamp, st.z(x)));
        double up = Math.max(0, d.up() + z - p.phDelta);
        double down = twoSided ? Math.max(0, d.down() - z - p.phDelta) : 0;
        return new Detector(st.add(x, p.statDecay), up, down);
    }
}
