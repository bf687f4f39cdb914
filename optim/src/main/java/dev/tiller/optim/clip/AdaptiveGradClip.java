package dev.tiller.optim.clip;

import dev.tiller.optim.Check;
import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Adaptive gradient clipping (Brock, De, Smith, Simonyan 2021, "High-Performance Large-Scale Image Recognition
 * Without Normalization", arXiv 2102.06171) with Optax's semantics ({@code optax.adaptive_grad_clip}, 0.2.8).
 * <p>
 * For every unit u (a slice of a tensor, below) with gradient norm ||G_u|| and parameter norm ||W_u||, both L2:
 * <pre>
 *   max_u = clipping * max(||W_u||, eps)
 *   G_u  <- G_u                                      if ||G_u|| < max_u
 *   G_u  <- G_u * (max_u / max(||G_u||, 1e-6))       otherwise
 * </pre>
 * computed in float32 as Optax does. Units ({@code optax unitwise_norm}), when {@code axes} is null: a tensor with at
 * most one dimension of size other than 1 (scalars, vectors, (1, n) rows) is one unit; rank 2 (in, out) and rank 3
 * (multi-head linear) reduce over axis 0, so each output column is a unit; rank 4 (HWIO conv kernels) reduces over
 * axes 0, 1, 2 and rank 5 (DHWIO) over 0..3; other ranks need explicit {@code axes}. NOTE: for rank 3 Optax's code
 * reduces axis 0 only, although its docstring says (0, 1, 2); the code is what the reference computes. With
 * {@code axes} given, the norm reduces over those axes (negative values count from the end) for every tensor, as
 * Optax's {@code axis} argument.
 * <p>
 * If any gradient is not finite, nothing is changed and the report says so. The report's norm is the global L2 norm
 * of the gradients before clipping and its scale the smallest unit multiplier.
 *
 * @param clipping the largest allowed ratio ||G_u|| / ||W_u||, finite and > 0
 * @param eps      the floor of ||W_u||, so zero-initialised parameters can still move; finite and >= 0
 * @param axes     reduction axes for every tensor, or null for Optax's per-rank defaults
 */
public record AdaptiveGradClip(float clipping, float eps, int[] axes) implements GradClipper {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    public AdaptiveGradClip {
        Check.positive("adaptive_grad_clip", "clipping", clipping);
        Check.nonNegative("adaptive_grad_clip", "eps", eps);
        axes = axes == null ? null : axes.clone();
    }

    /** Optax's default eps (1e-3) and per-rank units. */
    public static AdaptiveGradClip of(float clipping) {
        return new AdaptiveGradClip(clipping, 1e-3f, null);
    }

    @Override
    public int[] axes() {
        return axes == null ? null : axes.clone();
    }

    @Override
    public ClipReport clip(List<ParamRef> params) {
        float global = Norms.totalNorm(params, 2.0);
        if (!Norms.allFinite(params)) {
            return ClipReport.nonFinite(global, Double.NaN);
        }
        double smallest = 1.0;
        for (ParamRef p : params) {
            boolean[] reduce = reducedAxes(p);
            int[] shape = p.value().shape();
            long[] unitOf = unitIndex(shape, reduce);
            int units = unitCount(shape, reduce);
            double[] g2 = sumSquares(p.grad(), unitOf, units);
            double[] w2 = sumSquares(p.value(), unitOf, units);
            float[] factor = new float[units];
            boolean any = false;
            for (int u = 0; u < units; u++) {
                float gNorm = (float) Math.sqrt(g2[u]);
                float maxNorm = clipping * Math.max((float) Math.sqrt(w2[u]), eps);
                if (gNorm < maxNorm) {
                    factor[u] = 1f;
                } else {
                    factor[u] = maxNorm / Math.max(gNorm, 1e-6f);
                    any = true;
                    smallest = Math.min(smallest, factor[u]);
                }
            }
            if (any) {
                Tensor g = p.grad();
                MemorySegment s = g.segment();
                long off = g.offset();
                for (int i = 0; i < unitOf.length; i++) {
                    float f = factor[(int) unitOf[i]];
                    if (f != 1f) {
                        s.setAtIndex(F32, off + i, s.getAtIndex(F32, off + i) * f);
                    }
                }
            }
        }
        return new ClipReport(global, Double.NaN, smallest, smallest < 1.0, true);
    }

    /** Which axes of p's shape the unit norm reduces over. */
    private boolean[] reducedAxes(ParamRef p) {
        int[] shape = p.value().shape();
        int rank = shape.length;
        boolean[] reduce = new boolean[rank];
        if (axes != null) {
            for (int a : axes) {
                int ax = a < 0 ? a + rank : a;
                if (ax < 0 || ax >= rank) {
                    throw new IllegalArgumentException("adaptive_grad_clip: axis " + a + " is out of range for "
                            + p.name() + " with shape " + Arrays.toString(shape));
                }
                reduce[ax] = true;
            }
            return reduce;
        }
        int nonUnit = 0;
        for (int d : shape) {
            if (d != 1) {
                nonUnit++;
            }
        }
        if (nonUnit <= 1) {                       // jnp.squeeze(x).ndim <= 1: scalars and vectors are one unit
            Arrays.fill(reduce, true);
        } else if (rank == 2 || rank == 3) {      // (in, out) linear, or multi-head linear: reduce axis 0
            reduce[0] = true;
        } else if (rank == 4 || rank == 5) {      // HWIO / DHWIO conv kernels: reduce all but O
            Arrays.fill(reduce, true);
            reduce[rank - 1] = false;
        } else {
            throw new IllegalArgumentException("adaptive_grad_clip: " + p.name() + " has shape "
                    + Arrays.toString(shape) + "; default units exist for ranks 1 to 5 only; give axes explicitly");
        }
        return reduce;
    }

    private static int unitCount(int[] shape, boolean[] reduce) {
        int n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!reduce[i]) {
                n *= shape[i];
            }
        }
        return n;
    }

    /** For each flat (row-major) element, the row-major index of its unit among the kept axes. */
    private static long[] unitIndex(int[] shape, boolean[] reduce) {
        int rank = shape.length;
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        long[] keptStride = new long[rank];
        long st = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!reduce[i]) {
                keptStride[i] = st;
                st *= shape[i];
            }
        }
        long[] out = new long[Math.toIntExact(n)];
        int[] idx = new int[rank];
        for (int e = 0; e < out.length; e++) {
            long u = 0;
            for (int i = 0; i < rank; i++) {
                u += idx[i] * keptStride[i];
            }
            out[e] = u;
            for (int i = rank - 1; i >= 0; i--) {   // advance the row-major multi-index
                if (++idx[i] < shape[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        return out;
    }

    private static double[] sumSquares(Tensor t, long[] unitOf, int units) {
        double[] acc = new double[units];
        MemorySegment s = t.segment();
        long off = t.offset();
        for (int i = 0; i < unitOf.length; i++) {
            double v = s.getAtIndex(F32, off + i);
            acc[(int) unitOf[i]] += v * v;
        }
        return acc;
    }
}
