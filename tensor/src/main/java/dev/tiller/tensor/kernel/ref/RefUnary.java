package dev.tiller.tensor.kernel.ref;

import dev.tiller.tensor.kernel.UnaryFn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference element-wise kernels: each function evaluated in double with java.lang.StrictMath, which gives the same
 * bits in every JIT tier (erf and erfc by a series and a continued fraction, below), and rounded once to float.
 * The ground truth for SimdUnary; same signatures.
 */
public final class RefUnary {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    /** sqrt(2 / pi) and the cubic coefficient of the tanh approximation of GELU (Hendrycks and Gimpel, 2016). */
    private static final double GELU_K = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_C = 0.044715;

    private RefUnary() {}

    /**
     * y[yOff + i] = f(x[xOff + i]) for i in [0, n), with f's parameters p and q as documented on {@link UnaryFn}.
     * Offsets and n are in elements; x and y may be the same memory (in place) but must not partly overlap.
     */
    public static void map(UnaryFn f, float p, float q, MemorySegment x, long xOff, MemorySegment y, long yOff,
                           int n) {
        for (int i = 0; i < n; i++) {
            y.setAtIndex(F32, yOff + i, apply(f, p, q, x.getAtIndex(F32, xOff + i)));
        }
    }

    /**
     * dx[dxOff + i] = dOut[dOff + i] * f'(at[aOff + i]) for the functions with a backward helper: RELU, LEAKY_RELU,
     * CLAMP, SILU, SOFTPLUS, GELU, GELU_TANH take the forward input x as at; TANH and SIGMOID take the forward output
     * y (f' = 1 - y^2 and y (1 - y)). Kinks: RELU and LEAKY_RELU use the left slope at 0 (relu'(0) = 0,
     * leaky'(0) = slope); CLAMP passes the gradient on the closed interval [lo, hi] and 0 outside (PyTorch);
     * SOFTPLUS's slope is 1 where beta x > threshold. dx may alias dOut.
     */
    public static void backward(UnaryFn f, float p, float q, MemorySegment at, long aOff, MemorySegment dOut, long dOff,
                                MemorySegment dx, long dxOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = at.getAtIndex(F32, aOff + i);
            float g = dOut.getAtIndex(F32, dOff + i);
            dx.setAtIndex(F32, dxOff + i, derivative(f, p, q, v, g));
        }
    }

    /**
     * map(GELU) that also writes k = 1 + erf(x / sqrt2) = erfc(-x / sqrt2), rounded once, for
     * {@link #geluBackwardKept}. Twin of SimdUnary.geluKeep.
     */
    public static void geluKeep(MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment k, long kOff,
                                int n) {
        for (int i = 0; i < n; i++) {
            float v = x.getAtIndex(F32, xOff + i);
            y.setAtIndex(F32, yOff + i, apply(UnaryFn.GELU, 0f, 0f, v));
            k.setAtIndex(F32, kOff + i, (float) erfc(-v * SQRT_HALF));
        }
    }

    /**
     * backward(GELU) given k from {@link #geluKeep}. Here k is not needed: each element is computed in double from
     * x, as backward does, so the result is the same. Twin of SimdUnary.geluBackwardKept.
     */
    public static void geluBackwardKept(MemorySegment at, long aOff, MemorySegment k, long kOff, MemorySegment dOut,
                                        long dOff, MemorySegment dx, long dxOff, int n) {
        backward(UnaryFn.GELU, 0f, 0f, at, aOff, dOut, dOff, dx, dxOff, n);
    }

    /** f(x) for one element, in double, rounded once. SimdUnary's scalar tail uses it as well. */
    public static float apply(UnaryFn f, float p, float q, float xf) {
        double x = xf;
        return switch (f) {
            case NEG -> -xf;
            case ABS -> Math.abs(xf);
            case EXP -> (float) StrictMath.exp(x);
            case LOG -> (float) StrictMath.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> (float) (1.0 / Math.sqrt(x));
            case SQUARE -> (float) (x * x);
            case RECIPROCAL -> (float) (1.0 / x);
            case TANH -> (float) StrictMath.tanh(x);
            case SIGMOID -> (float) sigmoid(x);
            case RELU -> Math.max(xf, 0f);
            case SILU -> (float) (x * sigmoid(x));
            case ERF -> (float) erf(x);
            case GELU -> (float) (0.5 * x * erfc(-x * SQRT_HALF));     // 1 + erf(z) = erfc(-z): no cancellation
            // NOTE: 0.5 (1 + tanh(u)) = sigmoid(2u) exactly; the sigmoid form does not cancel for very negative x.
            case GELU_TANH -> (float) (x * sigmoid(2.0 * GELU_K * (x + GELU_C * x * x * x)));
            case SOFTPLUS -> (float) (p * x > q ? x : StrictMath.log1p(StrictMath.exp(p * x)) / p);
            case LEAKY_RELU -> xf > 0f ? xf : (float) (p * x);
            case POW -> (float) StrictMath.pow(x, p);
            case CLAMP -> Math.min(Math.max(xf, p), q);
            case ADD_SCALAR -> (float) (x + p);
            case MUL_SCALAR -> (float) (x * p);
        };
    }

    /** g * f'(v) for one element (v is y for TANH and SIGMOID); see {@link #backward}. */
    public static float derivative(UnaryFn f, float p, float q, float vf, float gf) {
        double v = vf;
        double g = gf;
        return switch (f) {
            case RELU -> vf > 0f ? gf : 0f;
            case LEAKY_RELU -> vf > 0f ? gf : (float) (p * g);
            case CLAMP -> vf >= p && vf <= q ? gf : 0f;
            case TANH -> (float) (g * ((1.0 - v) * (1.0 + v)));
            case SIGMOID -> (float) (g * (v * (1.0 - v)));
            case SILU -> {
                double s = sigmoid(v);
                yield (float) (g * (s * (1.0 + v * sigmoid(-v))));      // d/dx x s(x) = s (1 + x (1 - s))
            }
            case SOFTPLUS -> (float) (p * v > q ? g : g * sigmoid(p * v));
            case GELU -> (float) (g * (0.5 * erfc(-v * SQRT_HALF) + v * StrictMath.exp(-0.5 * v * v) * INV_SQRT_2PI));
            case GELU_TANH -> {
                // with s = sigmoid(2u), u = k (x + c x^3): d/dx = s + 2 x s (1 - s) k (1 + 3 c x^2)
                double w = 2.0 * GELU_K * (v + GELU_C * v * v * v);
                double s = sigmoid(w);
                yield (float) (g * (s + 2.0 * v * s * sigmoid(-w) * GELU_K * (1.0 + 3.0 * GELU_C * v * v)));
            }
            default -> throw new IllegalArgumentException("RefUnary.backward: no backward helper for " + f
                    + "; compose it from other ops");
        };
    }

    /** 1 / (1 + e^-x) in double. */
    public static double sigmoid(double x) {
        return x >= 0 ? 1.0 / (1.0 + StrictMath.exp(-x)) : StrictMath.exp(x) / (1.0 + StrictMath.exp(x));
    }

    /**
     * erf(x) in double: the Maclaurin series 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)) below |x| = 2.5 (the
     * largest term is about 16, so cancellation costs under two digits), 1 - erfc(|x|) above. Accurate to about
     * 1e-14, far below float resolution; it is the reference the float approximation in SimdUnary is tested on.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r = a < 2.5 ? erfSeries(a) : 1.0 - erfcFraction(a);
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 - erf(x) in double, without cancellation for large x (continued fraction). */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        return x < 2.5 ? 1.0 - erf(x) : erfcFraction(x);
    }

    /** The Maclaurin series of erf, for 0 <= x < 2.5. */
    public static double erfSeries(double x) {
        double x2 = x * x;
        double term = x;            // (-1)^n x^(2n+1) / n!
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-18 * Math.abs(sum)) {
                break;
            }
        }
        return sum * TWO_OVER_SQRT_PI;
    }

    /**
     * erfc(x) for x >= 2 by the continued fraction erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x +
     * (3/2) / (x + ...)))) (Abramowitz and Stegun 7.1.14), evaluated backwards from 60 terms; for x >= 2.5 that
     * matches 2000 terms to double precision.
     */
    public static double erfcFraction(double x) {
        if (x == Double.POSITIVE_INFINITY) {
            return 0.0;
        }
        double f = x;
        for (int k = 60; k >= 1; k--) {
            f = x + (k * 0.5) / f;
        }
        return StrictMath.exp(-x * x) / (Math.sqrt(Math.PI) * f);
    }
}
