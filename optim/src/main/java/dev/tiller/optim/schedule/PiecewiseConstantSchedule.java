package dev.tiller.optim.schedule;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Optax's {@code piecewise_constant_schedule} (0.2.8), in float32: starting from init, each boundary b whose
 * {@code t >= b} multiplies the value by its scale, in increasing boundary order.
 *
 * @param initValue           value before the first boundary
 * @param boundariesAndScales step to non-negative scale (Optax's dict)
 */
public record PiecewiseConstantSchedule(double initValue, Map<Long, Double> boundariesAndScales)
        implements Schedule {
    public PiecewiseConstantSchedule {
        Valid.finite("piecewise_constant_schedule", "initValue", initValue);
        boundariesAndScales = Collections.unmodifiableSortedMap(new TreeMap<>(boundariesAndScales));
        for (Map.Entry<Long, Double> e : boundariesAndScales.entrySet()) {
            Valid.nonNegative("piecewise_constant_schedule", "scale at boundary " + e.getKey(), e.getValue());
        }
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        float v = (float) initValue;
        for (Map.Entry<Long, Double> e : boundariesAndScales.entrySet()) {
            if (t >= e.getKey()) {
                v = (float) e.getValue().doubleValue() * v;
            }
        }
        return v;
    }
}
