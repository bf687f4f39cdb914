package dev.tiller.optim.schedule;

/**
 * A reduce-on-plateau multiplier on top of a schedule: {@code at(t, s) = base.at(t) * plateau.scale(s)}. This is the
 * composition PyTorch cannot express (SequentialLR and ChainedScheduler reject ReduceLROnPlateau, pytorch#68978):
 * e.g. linear warm-up then cosine, halved whenever the validation loss stalls.
 * <pre>{@code
 * var lr = new PlateauSchedule<>(Schedule.sequence(List.of(warmup, cosine), 5),
 *         ReduceLrOnPlateau.multiplier(Mode.MIN, 0.5, 2, 1e-4, ThresholdMode.REL, 0, 0.01));
 * var state = lr.plateau().initial();
 * for (long t = 0; ; t++) { sgd.step(h.withLr((float) lr.at(t, state))); state = lr.plateau().observe(state, loss); }
 * }</pre>
 * The state is the plateau's record, so a checkpoint is (t, state).
 */
public record PlateauSchedule<S extends Record>(Schedule base, Plateau<S> plateau) {
    public PlateauSchedule {
        if (base == null || plateau == null) {
            throw new IllegalArgumentException("PlateauSchedule: base schedule and plateau are both required");
        }
    }

    /** The value in effect for step t given the plateau's current state. */
    public double at(long t, S state) {
        return base.at(t) * plateau.scale(state);
    }

    /** A plain schedule frozen at one plateau state (for {@link HyperSchedule}). */
    public Schedule bind(S state) {
        double s = plateau.scale(state);
        return t -> base.at(t) * s;
    }
}
