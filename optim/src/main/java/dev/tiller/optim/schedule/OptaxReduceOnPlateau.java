package dev.tiller.optim.schedule;

/**
 * Optax's {@code contrib.reduce_on_plateau} (0.2.8) as an explicit-state {@link Plateau}: a multiplicative scale on
 * the updates, starting at 1, computed in float32 as Optax does for float32 parameters.
 *
 * <p>Rule per {@code observe(value)}: fold the value into a running mean,
 * {@code avg = (count avg + value) / (count + 1)}; when {@code count + 1 == accumulationSize} evaluate and reset
 * count and avg to 0:
 * <ol>
 *   <li>improved = {@code avg < (1 - rtol) best - atol} (best starts at +inf); if improved best = avg.
 *       plateau = improved ? 0 : plateau + 1.</li>
 *   <li>In cooldown (counter > 0): plateau = 0, counter -= 1, scale unchanged.</li>
 *   <li>Else: if plateau == patience: scale *= factor, plateau = 0, counter = cooldown; in all cases
 *       scale = max(scale, minScale).</li>
 * </ol>
 *
 * <p>Patience, compared with PyTorch's {@link ReduceLrOnPlateau}: PyTorch reduces when the bad count
 * <em>exceeds</em> patience (the (patience + 1)-th bad metric in a row), Optax when it <em>equals</em> patience (the
 * patience-th). So patience p here behaves like PyTorch's p - 1, except at p = 0: the count is also 0 after an
 * improvement, so Optax 0.2.8 reduces after every <em>improving</em> evaluation outside cooldown, while a run of bad
 * ones lifts the count above 0 where it never equals 0 again until the next improvement (reproduced here; later
 * Optax versions changed it). Optax is 'min' only and applies rtol and atol together.
 *
 * @param factor           in (0, 1) (default 0.1)
 * @param patience         at least 0 (default 10)
 * @param rtol             in [0, 1] (default 1e-4)
 * @param atol             at least 0 (default 0); rtol and atol not both 0
 * @param cooldown         at least 0 (default 0)
 * @param accumulationSize values averaged per evaluation, at least 1 (default 1)
 * @param minScale         floor of the scale, at least 0 (default 0)
 */
public record OptaxReduceOnPlateau(double factor, int patience, double rtol, double atol, int cooldown,
                                   int accumulationSize, double minScale)
        implements Plateau<OptaxReduceOnPlateau.State> {
    /** Optax's ReduceLROnPlateauState, field for field (float32 and int32 in Optax). */
    public record State(float scale, float bestValue, int plateauCount, int cooldownCount, int count,
                        float avgValue) {}

    public OptaxReduceOnPlateau {
        String o = "reduce_on_plateau";
        Valid.open(o, "factor", factor, 0, 1);
        Valid.atLeast(o, "patience", patience, 0);
        Valid.closed(o, "rtol", rtol, 0, 1);
        Valid.nonNegative(o, "atol", atol);
        if (rtol == 0 && atol == 0) {
            throw new IllegalArgumentException(o + ": at least one of rtol and atol must be positive, got both 0");
        }
        Valid.atLeast(o, "cooldown", cooldown, 0);
        Valid.atLeast(o, "accumulationSize", accumulationSize, 1);
        Valid.nonNegative(o, "minScale", minScale);
    }

    @Override
    public State initial() {
        return new State(1f, Float.POSITIVE_INFINITY, 0, 0, 0, 0f);
    }

    @Override
    public State observe(State s, double metric) {
        int count = increment(s.count());
        float avg = ((float) s.count() * s.avgValue() + (float) metric) / (float) count;
        if (count != accumulationSize) {
            return new State(s.scale(), s.bestValue(), s.plateauCount(), s.cooldownCount(), count, avg);
        }
        // NOTE: (1 - rtol) is a Python double, rounded to float32 when it meets the float32 best value.
        boolean improved = avg < (float) (1 - rtol) * s.bestValue() - (float) atol;
        float best = improved ? avg : s.bestValue();
        int plateau = improved ? 0 : increment(s.plateauCount());
        float scale = s.scale();
        int cool;
        if (s.cooldownCount() > 0) {
            plateau = 0;
            cool = s.cooldownCount() - 1;
        } else {
            boolean reduce = plateau == patience;
            scale = Math.max(reduce ? s.scale() * (float) factor : s.scale(), (float) minScale);
            plateau = reduce ? 0 : plateau;
            cool = reduce ? cooldown : 0;
        }
        return new State(scale, best, plateau, cool, 0, 0f);
    }

    @Override
    public double scale(State s) {
        return s.scale();
    }

    /** Optax's numerics.safe_increment: saturates at the int32 maximum. */
    private static int increment(int c) {
        return c == Integer.MAX_VALUE ? c : c + 1;
    }
}
