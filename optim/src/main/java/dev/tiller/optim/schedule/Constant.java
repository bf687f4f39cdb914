package dev.tiller.optim.schedule;

/** A schedule that gives the same finite value at every step (Optax's {@code constant_schedule}). */
public record Constant(double value) implements Schedule {
    public Constant {
        Valid.finite("Constant", "value", value);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        return value;
    }
}
