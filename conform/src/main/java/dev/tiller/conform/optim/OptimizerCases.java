package dev.tiller.conform.optim;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.Tolerance;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a golden "optimizer" case: parameters start at p0, each step t feeds grads[t] and the parameters after the
 * step are compared with params[t] (conform's golden/README.md). The optimizer comes from the first factory that knows
 * the case's name: PyTorch's classes (TorchOptimizers), Optax's functions (OptaxOptimizers), and Shampoo.
 */
public final class OptimizerCases {
    private static final List<OptimizerFactory> FACTORIES = List.of(new TorchOptimizers(), new MatrixOptimizers(),
            new OptaxOptimizers());

    private OptimizerCases() {}

    /** Checks one case of kind "optimizer". */
    public static CaseResult check(GoldenCase c) {
        String optimizer = c.string("optimizer");
        List<?> shapes = c.list("shapes");
        List<?> p0 = c.list("p0");
        if (p0.size() != shapes.size()) {
            throw c.error("p0", "has " + p0.size() + " tensors but 'shapes' lists " + shapes.size());
        }
        List<ParamRef> params = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) {
            int[] shape = toInts(c, "shapes[" + i + "]", shapes.get(i));
            double[] v = c.toNumbers("p0[" + i + "]", p0.get(i));
            Tensor value = Tensor.allocate(Allocators.auto(), DType.F32, shape);
            requireCount(c, "p0[" + i + "]", v.length, value.numel());
            value.copyFrom(Tensor.of(floats(v), shape));
            Tensor grad = Tensor.allocate(Allocators.auto(), DType.F32, shape);
            params.add(new ParamRef("p" + i, value, grad));
        }
        OptimizerFactory.Stepper stepper = null;
        for (OptimizerFactory f : FACTORIES) {
            stepper = f.create(c, optimizer, params);
            if (stepper != null) {
                break;
            }
        }
        if (stepper == null) {
            return CaseResult.skip("optimizer '" + optimizer + "' is not implemented");
        }
        List<?> grads = c.list("grads");
        List<?> expected = c.list("params");
        if (grads.size() != expected.size()) {
            throw c.error("params", "has " + expected.size() + " steps but 'grads' has " + grads.size());
        }
        double atol = c.number("atol");
        double rtol = c.number("rtol");
        CaseResult last = CaseResult.pass("no steps");
        for (int t = 0; t < grads.size(); t++) {
            List<?> gt = asList(c, "grads[" + t + "]", grads.get(t));
            List<?> pt = asList(c, "params[" + t + "]", expected.get(t));
            for (int i = 0; i < params.size(); i++) {
                double[] g = c.toNumbers("grads[" + t + "][" + i + "]", gt.get(i));
                requireCount(c, "grads[" + t + "][" + i + "]", g.length, params.get(i).numel());
                params.get(i).grad().copyFrom(Tensor.of(floats(g), params.get(i).value().shape()));
            }
            stepper.step();
            List<Tolerance.Worst> checks = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                double[] want = c.toNumbers("params[" + t + "][" + i + "]", pt.get(i));
                checks.add(Tolerance.compare("step " + (t + 1) + " params[" + i + "]", want,
                        params.get(i).value().toFloatArray(), atol, rtol));
            }
            last = CaseResult.of(checks);
            if (last.status() == CaseResult.Status.FAIL) {
                return last;             // the first step that goes wrong is the informative one
            }
        }
        return last;
    }

    private static List<?> asList(GoldenCase c, String path, Object v) {
        if (!(v instanceof List<?> l)) {
            throw c.error(path, "expected an array");
        }
        return l;
    }

    private static int[] toInts(GoldenCase c, String path, Object v) {
        double[] d = c.toNumbers(path, v);
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }

    private static void requireCount(GoldenCase c, String path, int have, long need) {
        if (have != need) {
            throw c.error(path, "has " + have + " values; the shape needs " + need);
        }
    }

    static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
