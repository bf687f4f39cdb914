package dev.tiller.optim.clip;

import dev.tiller.optim.ParamRef;

import java.util.List;

/**
 * A gradient clipper: reads the gradients of a list of parameters, rescales them in place when they are too large,
 * and says what it did. Every implementation leaves the gradients untouched when they hold a NaN or an infinity and
 * reports {@code finite = false}: clipping must never turn an overflow into a finite-looking update, because the
 * loss scaler and the trainer's skip logic rely on seeing it.
 */
@FunctionalInterface
public interface GradClipper {
    /** Clips the gradients of params in place (their values are read only by AGC). */
    ClipReport clip(List<ParamRef> params);
}
