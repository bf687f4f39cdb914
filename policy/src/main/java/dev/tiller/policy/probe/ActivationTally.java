package dev.tiller.policy.probe;

import dev.tiller.autograd.ActivationObserver;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Counts what the activations of the observed forwards did: the fraction of ReLU outputs that are exactly zero, the
 * fraction of GELU, SiLU, tanh and sigmoid inputs in a flat tail, and the mean normalised entropy of attention rows.
 * A flat tail is where the activation's slope is below about 1% of its largest: tanh |x| > 3, sigmoid |x| > 6, GELU
 * x < -3, SiLU x < -6 (GELU and SiLU are linear, not flat, for large positive x). A row attending over n >= 2 keys
 * contributes H / log n (1 = uniform, 0 = one key); rows over a single key carry no information and are skipped.
 */
public final class ActivationTally implements ActivationObserver {
    private long reluZero;
    private long reluCount;
    private long saturated;
    private long saturableCount;
    private double entropySum;
    private long rows;
    private long nanos;

    @Override
    public void activation(String kind, Tensor input, Tensor output) {
        long t0 = System.nanoTime();
        switch (kind) {
            case "relu" -> {
                Reader y = new Reader(output);
                long z = 0;
                for (long i = 0; i < y.n; i++) {
                    z += y.get(i) == 0f ? 1 : 0;
                }
                reluZero += z;
                reluCount += y.n;
            }
            case "gelu", "silu", "tanh", "sigmoid" -> {
                Reader x = new Reader(input);
                float lo = switch (kind) {
                    case "gelu", "tanh" -> -3f;
                    default -> -6f;
                };
                float hi = switch (kind) {
                    case "tanh" -> 3f;
                    case "sigmoid" -> 6f;
                    default -> Float.POSITIVE_INFINITY;
                };
                long s = 0;
                for (long i = 0; i < x.n; i++) {
                    float v = x.get(i);
                    s += v < lo || v > hi ? 1 : 0;
                }
                saturated += s;
                saturableCount += x.n;
            }
            default -> { }
        }
        nanos += System.nanoTime() - t0;
    }

    @Override
    public void attention(Tensor probs) {
        long t0 = System.nanoTime();
        Reader p = new Reader(probs);
        int t = probs.dim(probs.rank() - 1);
        long blocks = p.n / ((long) t * t);
        for (long b = 0; b < blocks; b++) {
            long base = b * t * t;
            for (int i = 1; i < t; i++) {
                long row = base + (long) i * t;
                double h = 0;
                for (int j = 0; j <= i; j++) {
                    double q = p.get(row + j);
                    if (q > 0) {
                        h -= q * StrictMath.log(q);
                    }
                }
                entropySum += h / StrictMath.log(i + 1);
                rows++;
            }
        }
        nanos += System.nanoTime() - t0;
    }

    /** Zero ReLU outputs over all ReLU outputs, or NaN when no ReLU ran. */
    public double deadRelu() {
        return reluCount == 0 ? Double.NaN : (double) reluZero / reluCount;
    }

    /** Inputs in a flat tail over all GELU/SiLU/tanh/sigmoid inputs, or NaN when none ran. */
    public double saturation() {
        return saturableCount == 0 ? Double.NaN : (double) saturated / saturableCount;
    }

    /** Mean normalised attention entropy over rows of two or more keys, or NaN when no attention ran. */
    public double attentionEntropy() {
        return rows == 0 ? Double.NaN : entropySum / rows;
    }

    /** Time spent counting, in nanoseconds. */
    public long nanos() {
        return nanos;
    }

    /** Reads a tensor's elements in logical order: float32 contiguous in place, anything else through a copy. */
    private static final class Reader {
        final long n;
        final MemorySegment seg;
        final long off;
        final float[] copy;

        Reader(Tensor t) {
            n = t.numel();
            if (t.dtype() == DType.F32 && t.isContiguous()) {
                seg = t.segment();
                off = t.offset();
                copy = null;
            } else {
                seg = null;
                off = 0;
                copy = t.toFloatArray();
            }
        }

        float get(long i) {
            return copy != null ? copy[(int) i] : seg.getAtIndex(ValueLayout.JAVA_FLOAT, off + i);
        }
    }
}
