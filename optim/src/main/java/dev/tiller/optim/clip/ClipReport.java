package dev.tiller.optim.clip;

/**
 * What one clipping call did, for the trainer's log and for policies (a non-finite norm is a
 * signal, not an exception).
 *
 * @param norm      the gradient norm the clipper measured before clipping, in the clipper's norm (the global norm for
 *                  global and history-based clippers, the largest per-tensor norm for per-tensor clipping, the largest
 *                  |g| for value clipping, the global L2 norm for AGC); NaN or infinite when the gradients were not
 *                  finite
 * @param threshold the clip level the clipper compared the norm with (+inf when there was none, e.g. a history
 *                  clipper before it has a history; NaN for per-unit clippers, which have one threshold per unit)
 * @param scale     the smallest multiplier applied to any gradient element (1 when nothing was scaled)
 * @param clipped   true when some gradient was changed
 * @param finite    false when the gradients held a NaN or an infinity; then nothing was changed
 */
public record ClipReport(double norm, double threshold, double scale, boolean clipped, boolean finite) {
    /** The report of a call that found non-finite gradients and left them alone. */
    static ClipReport nonFinite(double norm, double threshold) {
        return new ClipReport(norm, threshold, 1.0, false, false);
    }
}
