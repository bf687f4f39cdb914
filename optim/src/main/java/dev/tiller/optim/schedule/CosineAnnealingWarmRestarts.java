package dev.tiller.optim.schedule;

/**
 * PyTorch's {@code CosineAnnealingWarmRestarts} (SGDR, Loshchilov and Hutter 2017): cosine from baseLr down towards
 * eta_min over a cycle of T_i steps, then a restart at baseLr; cycle lengths are T_0, T_0 T_mult, T_0 T_mult^2, ...
 * {@code at(t) = eta_min + (baseLr - eta_min) (1 + cos(pi T_cur / T_i)) / 2}, where T_cur counts steps since the
 * last restart. The cycle is found with integer arithmetic, as PyTorch's per-step update does
 * ({@code T_cur += 1; if T_cur >= T_i: T_cur -= T_i; T_i *= T_mult}); PyTorch's log-based formula is only used
 * when an explicit epoch is passed to step().
 *
 * @param baseLr value at each restart (eta_max)
 * @param t0     first cycle length, at least 1
 * @param tMult  growth of the cycle length, at least 1 (PyTorch default 1)
 * @param etaMin floor approached at the end of each cycle (PyTorch default 0)
 */
public record CosineAnnealingWarmRestarts(double baseLr, long t0, long tMult, double etaMin) implements Schedule {
    public CosineAnnealingWarmRestarts {
        Valid.finite("CosineAnnealingWarmRestarts", "baseLr", baseLr);
        Valid.atLeast("CosineAnnealingWarmRestarts", "t0", t0, 1);
        Valid.atLeast("CosineAnnealingWarmRestarts", "tMult", tMult, 1);
        Valid.finite("CosineAnnealingWarmRestarts", "etaMin", etaMin);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        long ti = t0;
        long tCur = t;
        if (tMult == 1) {
            tCur = t % t0;
        } else {
            while (tCur >= ti) {
                tCur -= ti;
                ti = ti > Long.MAX_VALUE / tMult ? Long.MAX_VALUE : ti * tMult;
            }
        }
        return etaMin + (baseLr - etaMin) * (1 + StrictMath.cos(Math.PI * tCur / ti)) / 2;
    }
}
