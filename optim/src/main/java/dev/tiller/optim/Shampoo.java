package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shampoo (Gupta, Koren and Singer 2018, "Shampoo: Preconditioned Stochastic Tensor Optimization"), Algorithm 1
 * for matrices and its order-k form (Algorithm 2) for other ranks, with statistics from eps * I:
 * <pre>
 *   matrix G (m, n):   L = L + G G^T;  R = R + G^T G;   W = W - eta L^(-1/4) G R^(-1/4)
 *   order-k tensor:    H_i = H_i + G_(i) G_(i)^T  (G_(i) the mode-i unfolding, d_i x prod of the other dims)
 *                      W = W - eta G x_1 H_1^(-1/2k) x_2 ... x_k H_k^(-1/2k)
 *   vector (order 1):  one diagonal statistic h = h + g^2;   w = w - eta h^(-1/2) g
 * </pre>
 * (a rank-0 parameter is a vector of one element; {@link ShampooHyper#exponent} can fix e instead of 1/(2k)).
 * State per parameter, with the slice's own shapes: "statistic_i" (d_i, d_i) and its inverse root
 * "preconditioner_i" (d_i, d_i) for each dim i, or "statistic" and "preconditioner" shaped like a vector
 * parameter. Roots are recomputed at steps 1, 1 + updateFreq, ... and kept as state in between, so a run resumed
 * from saved state continues bitwise. The statistic products, the roots (symmetric eigendecomposition by Jacobi
 * rotations, {@link SymmetricEigen}) and the preconditioned gradient are computed in double; the state is stored
 * as float32 (or the chosen precision). Cost: O(d^3) per dim per root, so this suits dims up to a few hundred.
 */
public final class Shampoo extends AbstractOptimizer<ShampooHyper, Shampoo.ShampooState> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /**
     * A parameter's statistics and their inverse roots, one pair per dim ("statistic_i", "preconditioner_i"), or
     * one pair ("statistic", "preconditioner") for a vector; eps is the floor of the eigenvalues.
     */
    record ShampooState(float eps, StateSlot[] statistics, StateSlot[] roots) {}

    /**
     * initial supplies eps (per group, after the group's override), which sets the statistics' start eps * I and
     * the floor of their eigenvalues; later records' eps is not read.
     */
    public Shampoo(List<ParamGroup<ShampooHyper>> groups, ShampooHyper initial, Map<String, StatePrecision> precisions,
                   Allocator alloc, long seed) {
        super("Shampoo", groups, precisions, alloc, seed);
        Map<ParamRef, Float> eps = new IdentityHashMap<>();
        for (ParamGroup<ShampooHyper> g : groups) {
            float e = g.override().apply(initial).eps();
            for (ParamRef p : g.params()) {
                eps.put(p, e);
            }
        }
        declareState(p -> declare(p, eps.get(p)));
    }

    /** The statistics (eps * I, or eps for a vector) and roots of p, declared dim by dim. */
    private ShampooState declare(ParamRef p, float e) {
        int[] s = p.value().shape();
        if (s.length <= 1) {
            return new ShampooState(e, new StateSlot[] {slot("statistic", p).fill(e)},
                    new StateSlot[] {slot("preconditioner", p)});
        }
        StateSlot[] statistics = new StateSlot[s.length];
        StateSlot[] roots = new StateSlot[s.length];
        for (int i = 0; i < s.length; i++) {
            StateSlot stat = slot("statistic_" + i, p, s[i], s[i]);
            Tensor h = stat.open();
            h.fill(0f);
            for (int j = 0; j < s[i]; j++) {
                h.segment().setAtIndex(F32, h.offset() + (long) j * s[i] + j, e);
            }
            stat.commit(0);
            statistics[i] = stat;
            roots[i] = slot("preconditioner_" + i, p, s[i], s[i]);
        }
        return new ShampooState(e, statistics, roots);
    }

    /** One group, float32 state. */
    public Shampoo(List<ParamRef> params, ShampooHyper initial) {
        this(List.of(ParamGroup.of("default", params)), initial, Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, ShampooState state, ShampooHyper h, long t) {
        long n = p.numel();
        if (n == 0) {
            return;
        }
        boolean refresh = (t - 1) % h.updateFreq() == 0;
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        int[] s = p.value().shape();
        if (s.length <= 1) {
            StateSlot statSlot = state.statistics()[0];
            StateSlot rootSlot = state.roots()[0];
            Tensor ht = statSlot.open();
            Tensor rt = rootSlot.open();
            MemorySegment hs = ht.segment();
            MemorySegment rs = rt.segment();
            double e = h.exponentFor(1);
            float floor = state.eps();
            for (long i = 0; i < n; i++) {
                double g = gs.getAtIndex(F32, go + i);
                float hi = (float) (hs.getAtIndex(F32, ht.offset() + i) + g * g);
                hs.setAtIndex(F32, ht.offset() + i, hi);
                if (refresh) {
                    rs.setAtIndex(F32, rt.offset() + i, (float) StrictMath.pow(Math.max(hi, floor), -e));
                }
                double r = rs.getAtIndex(F32, rt.offset() + i);
                w.setAtIndex(F32, wo + i, (float) (w.getAtIndex(F32, wo + i) - (double) h.lr() * r * g));
            }
            statSlot.commit(t);
            rootSlot.commit(t);
            return;
        }
        double[] g = new double[(int) n];
        for (int i = 0; i < n; i++) {
            g[i] = gs.getAtIndex(F32, go + i);
        }
        double e = h.exponentFor(s.length);
        double[] cur = g;
        for (int dim = 0; dim < s.length; dim++) {
            int d = s[dim];
            long inner = 1;
            for (int j = dim + 1; j < s.length; j++) {
                inner *= s[j];
            }
            long outer = n / (d * inner);
            StateSlot statSlot = state.statistics()[dim];
            StateSlot rootSlot = state.roots()[dim];
            Tensor ht = statSlot.open();
            double[] stat = new double[d * d];
            for (int a = 0; a < d; a++) {
                for (int b = a; b < d; b++) {
                    // (G_(dim) G_(dim)^T)_ab = sum over the other indices of G[.., a, ..] G[.., b, ..]
                    double sum = 0;
                    for (long o = 0; o < outer; o++) {
                        long ra = (o * d + a) * inner;
                        long rb = (o * d + b) * inner;
                        for (long in = 0; in < inner; in++) {
                            sum += g[(int) (ra + in)] * g[(int) (rb + in)];
                        }
                    }
                    float ab = (float) (ht.segment().getAtIndex(F32, ht.offset() + (long) a * d + b) + sum);
                    ht.segment().setAtIndex(F32, ht.offset() + (long) a * d + b, ab);
                    ht.segment().setAtIndex(F32, ht.offset() + (long) b * d + a, ab);
                    stat[a * d + b] = ab;
                    stat[b * d + a] = ab;
                }
            }
            statSlot.commit(t);
            Tensor rt = rootSlot.open();
            if (refresh) {
                double[] root = SymmetricEigen.inversePower(stat, d, e, state.eps());
                for (int i = 0; i < d * d; i++) {
                    rt.segment().setAtIndex(F32, rt.offset() + i, (float) root[i]);
                }
            }
            double[] root = new double[d * d];
            for (int i = 0; i < d * d; i++) {
                root[i] = rt.segment().getAtIndex(F32, rt.offset() + i);
            }
            rootSlot.commit(t);
            // cur = cur x_dim root: next[o, a, in] = sum_b root[a, b] cur[o, b, in]
            double[] next = new double[(int) n];
            for (long o = 0; o < outer; o++) {
                for (int a = 0; a < d; a++) {
                    long dst = (o * d + a) * inner;
                    for (int b = 0; b < d; b++) {
                        double rab = root[a * d + b];
                        long src = (o * d + b) * inner;
                        for (long in = 0; in < inner; in++) {
                            next[(int) (dst + in)] += rab * cur[(int) (src + in)];
                        }
                    }
                }
            }
            cur = next;
        }
        for (int i = 0; i < n; i++) {
            w.setAtIndex(F32, wo + i, (float) (w.getAtIndex(F32, wo + i) - (double) h.lr() * cur[i]));
        }
    }
}
