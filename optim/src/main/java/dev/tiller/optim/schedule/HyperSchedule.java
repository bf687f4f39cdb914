package dev.tiller.optim.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Drives hyperparameters of any optimizer from schedules: each step, {@code apply(h, t)} returns the record h with
 * every bound field set to its schedule's value at t (through the record's own {@code withX} method, so the record's
 * validation runs on every scheduled value). Nothing is mutated: the optimizer receives the new record in
 * {@code step(hyper)}.
 * <pre>{@code
 * OneCycleLr oc = OneCycleLr.of(0.1, 1000);
 * HyperSchedule<SgdHyper> hs = HyperSchedule.of(oc, SgdHyper::withLr).and(oc.momentum(), SgdHyper::withMomentum);
 * sgd.step(hs.apply(base, t));
 * }</pre>
 *
 * @param <H> the hyperparameter record
 */
public final class HyperSchedule<H> {
    /** Sets one float hyperparameter: a record's {@code withX(float)} method, e.g. {@code SgdHyper::withMomentum}. */
    @FunctionalInterface
    public interface Setter<H> {
        H with(H hyper, float value);
    }

    private record Binding<H>(Schedule schedule, Setter<H> setter) {}

    private final List<Binding<H>> bindings;

    private HyperSchedule(List<Binding<H>> bindings) {
        this.bindings = List.copyOf(bindings);
    }

    /** One hyperparameter driven by one schedule. */
    public static <H> HyperSchedule<H> of(Schedule schedule, Setter<H> setter) {
        return new HyperSchedule<H>(List.of()).and(schedule, setter);
    }

    /** A copy that also drives another hyperparameter; bindings apply in the order added. */
    public HyperSchedule<H> and(Schedule schedule, Setter<H> setter) {
        if (schedule == null || setter == null) {
            throw new IllegalArgumentException("HyperSchedule: schedule and setter are both required");
        }
        List<Binding<H>> b = new ArrayList<>(bindings);
        b.add(new Binding<>(schedule, setter));
        return new HyperSchedule<>(b);
    }

    /** The record for step t: h with each bound hyperparameter replaced by its schedule's value (as float). */
    public H apply(H hyper, long t) {
        H h = hyper;
        for (Binding<H> b : bindings) {
            h = b.setter().with(h, (float) b.schedule().at(t));
        }
        return h;
    }
}
