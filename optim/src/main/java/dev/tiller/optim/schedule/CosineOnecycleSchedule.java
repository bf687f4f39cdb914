package dev.tiller.optim.schedule;

import java.util.TreeMap;

/**
 * Optax's {@code cosine_onecycle_schedule} (0.2.8), in float32: Optax's piecewise cosine interpolation between
 * {@code init = peak / divFactor} at step 0, peak at {@code floor(pctStart T)} and {@code init / finalDivFactor} at
 * T, constant after. The values are Optax's float32 cumulative product of init and the scales
 * {@code divFactor, 1 / (divFactor finalDivFactor)}. Between boundaries {@code b_i < b_{i+1}} with values
 * {@code v_i, v_{i+1}}: {@code pct = (t - b_i) / max(b_{i+1} - b_i, 1)},
 * {@code at(t) = v_{i+1} + (v_i - v_{i+1}) / 2 (cos(pi pct) + 1)}.
 * Unlike PyTorch's OneCycleLR it has no momentum and no three-phase variant.
 *
 * @param transitionSteps T, at least 1
 * @param peakValue       peak
 * @param pctStart        fraction rising (default 0.3)
 * @param divFactor       default 25
 * @param finalDivFactor  default 1e4
 */
public record CosineOnecycleSchedule(long transitionSteps, double peakValue, double pctStart, double divFactor,
                                     double finalDivFactor) implements Schedule {
    public CosineOnecycleSchedule {
        String o = "cosine_onecycle_schedule";
        Valid.atLeast(o, "transitionSteps", transitionSteps, 1);
        Valid.finite(o, "peakValue", peakValue);
        Valid.closed(o, "pctStart", pctStart, 0, 1);
        Valid.positive(o, "divFactor", divFactor);
        Valid.positive(o, "finalDivFactor", finalDivFactor);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        // Optax builds a dict {int(pct_start T): div, T: 1 / (div final_div)}; a repeated key keeps the later one.
        TreeMap<Long, Double> scales = new TreeMap<>();
        scales.put((long) (pctStart * transitionSteps), divFactor);
        scales.put(transitionSteps, 1.0 / (divFactor * finalDivFactor));
        int n = scales.size();
        long[] bounds = new long[n + 1];
        float[] values = new float[n + 1];
        values[0] = (float) (peakValue / divFactor);
        int i = 1;
        for (var e : scales.entrySet()) {
            bounds[i] = e.getKey();
            values[i] = values[i - 1] * (float) e.getValue().doubleValue();   // float32 cumprod
            i++;
        }
        for (int k = 0; k < n; k++) {
            if (bounds[k] <= t && t < bounds[k + 1]) {
                float pct = (float) (t - bounds[k]) / (float) Math.max(bounds[k + 1] - bounds[k], 1);
                float start = values[k];
                float end = values[k + 1];
                return end + (start - end) / 2f * (F32.cos(F32.PI * pct) + 1f);
            }
        }
        return values[n];
    }
}
