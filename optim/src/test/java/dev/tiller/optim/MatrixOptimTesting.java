package dev.tiller.optim;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared fixtures for the matrix-optimizer tests: seeded parameters, a quadratic with coupled matrix parameters,
 * and the PyTorch-style checks (resume from saved state is bitwise, a changed record equals a fresh optimizer
 * given that record from then on).
 */
final class MatrixOptimTesting {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private MatrixOptimTesting() {}

    /** A parameter with N(0, 1) values from (seed, stream) and a zero gradient. */
    static ParamRef param(String name, long seed, long stream, int... shape) {
        Tensor v = Tensor.allocate(Allocators.auto(), DType.F32, shape);
        v.copyFrom(Tensor.normal(seed, stream, 0f, 1f, shape));
        Tensor g = Tensor.allocate(Allocators.auto(), DType.F32, shape);
        g.fill(0f);
        return new ParamRef(name, v, g);
    }

    /** Parameters p0, p1, ... shaped as given. */
    static List<ParamRef> params(long seed, int[]... shapes) {
        List<ParamRef> out = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            out.add(param("p" + i, seed, i, shapes[i]));
        }
        return out;
    }

    /**
     * f = sum over parameters of 0.5 ||A (W - T)||_F^2, W seen as (m, rest) with A an (m, m) well-posed but
     * non-diagonal mixing matrix (I plus a random part), so the rows are coupled and curvatures differ;
     * grad = A^T A (W - T). Minimum 0 at W = T.
     */
    static final class Quadratic {
        private final List<double[]> gram = new ArrayList<>();   // A^T A per parameter, (m, m)
        private final List<float[]> target = new ArrayList<>();
        private final List<int[]> dims = new ArrayList<>();       // (m, rest)

        Quadratic(List<ParamRef> params, long seed) {
            for (int q = 0; q < params.size(); q++) {
                int[] s = params.get(q).value().shape();
                int m = s.length == 0 ? 1 : s[0];
                int rest = (int) (params.get(q).numel() / Math.max(1, m));
                double[] a = new double[m * m];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < m; j++) {
                        a[i * m + j] = (i == j ? 1.0 + i * 0.5 : 0) + 0.3 * Philox.normal(seed, 100 + q, i * m + j);
                    }
                }
                double[] ata = new double[m * m];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < m; j++) {
                        double sum = 0;
                        for (int k = 0; k < m; k++) {
                            sum += a[k * m + i] * a[k * m + j];
                        }
                        ata[i * m + j] = sum;
                    }
                }
                gram.add(ata);
                float[] t = new float[(int) params.get(q).numel()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = Philox.normal(seed, 200 + q, i);
                }
                target.add(t);
                dims.add(new int[] {m, rest});
            }
        }

        /** Writes the gradient at the current values into every param's grad; returns f. */
        double gradient(List<ParamRef> params) {
            double f = 0;
            for (int q = 0; q < params.size(); q++) {
                MemorySegment w = params.get(q).value().segment();
                MemorySegment g = params.get(q).grad().segment();
                long wo = params.get(q).value().offset();
                long go = params.get(q).grad().offset();
                float[] t = target.get(q);
                int m = dims.get(q)[0];
                int rest = dims.get(q)[1];
                double[] ata = gram.get(q);
                for (int i = 0; i < m; i++) {
                    for (int c = 0; c < rest; c++) {
                        double s = 0;
                        for (int k = 0; k < m; k++) {
                            s += ata[i * m + k] * (w.getAtIndex(F32, wo + k * rest + c) - t[k * rest + c]);
                        }
                        g.setAtIndex(F32, go + i * rest + c, (float) s);
                        f += 0.5 * (w.getAtIndex(F32, wo + i * rest + c) - t[i * rest + c]) * s;
                    }
                }
            }
            return f;
        }
    }

    /** Copies of every state tensor, detached from the optimizer. */
    static Map<String, Tensor> snapshot(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    static List<float[]> values(List<ParamRef> params) {
        List<float[]> out = new ArrayList<>();
        for (ParamRef p : params) {
            out.add(p.value().toFloatArray());
        }
        return out;
    }

    static void assertBitwise(String what, List<float[]> want, List<float[]> got) {
        assertEquals(want.size(), got.size(), what);
        for (int i = 0; i < want.size(); i++) {
            int[] a = new int[want.get(i).length];
            int[] b = new int[got.get(i).length];
            for (int j = 0; j < a.length; j++) {
                a[j] = Float.floatToRawIntBits(want.get(i)[j]);
            }
            for (int j = 0; j < b.length; j++) {
                b[j] = Float.floatToRawIntBits(got.get(i)[j]);
            }
            assertArrayEquals(a, b, what + ": tensor " + i);
        }
    }

    static <H extends Record> void run(Optimizer<H> opt, List<ParamRef> params, Quadratic f, H h, int steps) {
        for (int s = 0; s < steps; s++) {
            f.gradient(params);
            opt.step(h);
        }
    }

    /**
     * Runs `before` steps with h1 then `after` with h2; a second optimizer, loaded from the first's state after
     * `before` steps, runs `after` steps with h2Fresh (a separately built record equal to h2). Both must agree
     * bitwise, parameters and state. With h1 == h2 this is "save/load mid-run equals an uninterrupted run".
     */
    static <H extends Record> void assertResumeMatches(Function<List<ParamRef>, Optimizer<H>> make, int[][] shapes,
                                                       H h1, H h2, H h2Fresh, int before, int after) {
        assertEquals(h2, h2Fresh, "the fresh record must equal the changed one");
        List<ParamRef> pa = params(7, shapes);
        Quadratic f = new Quadratic(pa, 11);
        Optimizer<H> a = make.apply(pa);
        run(a, pa, f, h1, before);
        Map<String, Tensor> saved = snapshot(a.state());
        List<float[]> savedValues = values(pa);
        long count = a.stepCount();
        run(a, pa, f, h2, after);

        List<ParamRef> pb = params(99, shapes);     // other start values, overwritten below
        for (int i = 0; i < pb.size(); i++) {
            pb.get(i).value().copyFrom(Tensor.of(savedValues.get(i), shapes[i]));
        }
        Optimizer<H> b = make.apply(pb);
        b.loadState(saved, count);
        run(b, pb, f, h2Fresh, after);
        assertEquals(a.stepCount(), b.stepCount());
        assertBitwise("params after resume", values(pa), values(pb));
        for (Map.Entry<String, Tensor> e : a.state().entrySet()) {
            Tensor other = b.state().get(e.getKey());
            assertTrue(other != null, "state " + e.getKey());
            assertBitwise("state " + e.getKey(), List.of(e.getValue().to(DType.F32).toFloatArray()),
                    List.of(other.to(DType.F32).toFloatArray()));
        }
    }

    /** The change must matter: h1 throughout gives other parameters than h1 then h2. */
    static <H extends Record> void assertChangeMatters(Function<List<ParamRef>, Optimizer<H>> make, int[][] shapes,
                                                       H h1, H h2, int before, int after) {
        List<ParamRef> pa = params(7, shapes);
        List<ParamRef> pb = params(7, shapes);
        Quadratic f = new Quadratic(pa, 11);
        Optimizer<H> a = make.apply(pa);
        Optimizer<H> b = make.apply(pb);
        run(a, pa, f, h1, before + after);
        run(b, pb, f, h1, before);
        run(b, pb, f, h2, after);
        boolean differs = false;
        for (int i = 0; i < pa.size(); i++) {
            differs |= !Arrays.equals(pa.get(i).value().toFloatArray(), pb.get(i).value().toFloatArray());
        }
        assertFalse(!differs, "changing the record had no effect");
    }

    /** Loss after `steps` steps of opt on f, with the record from schedule(step). */
    static <H extends Record> double minimize(Optimizer<H> opt, List<ParamRef> params, Quadratic f,
                                              Function<Integer, H> schedule, int steps) {
        for (int s = 0; s < steps; s++) {
            f.gradient(params);
            opt.step(schedule.apply(s));
        }
        return f.gradient(params);
    }

    /** Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 on a 2-element parameter; writes the gradient, returns f. */
    static double rosenbrock(ParamRef p) {
        float[] v = p.value().toFloatArray();
        double x = v[0];
        double y = v[1];
        double gx = -2 * (1 - x) - 400 * x * (y - x * x);
        double gy = 200 * (y - x * x);
        p.grad().copyFrom(Tensor.of(new float[] {(float) gx, (float) gy}, p.value().shape()));
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }

    /** Asserts that building h throws IllegalArgumentException whose message holds every fragment. */
    static void assertRejected(Runnable build, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                build::run);
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), () -> "message '" + e.getMessage() + "' lacks '" + s + "'");
        }
    }
}
