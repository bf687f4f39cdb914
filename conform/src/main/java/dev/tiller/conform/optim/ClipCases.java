package dev.tiller.conform.optim;

import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.AdaptiveGradClip;
import dev.tiller.optim.clip.ClipReport;
import dev.tiller.optim.clip.DynamicLossScaler;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.optim.clip.LossScaleHyper;
import dev.tiller.optim.clip.LossScaleStep;
import dev.tiller.optim.clip.ValueClip;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.Tolerance;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs golden "clip" cases (PyTorch clip_grad_norm_ / clip_grad_value_, Optax adaptive_grad_clip: the gradients
 * after clipping, and the returned total norm) and "loss_scale" cases (PyTorch GradScaler: for each step, whether
 * the gradients held an inf, the scale after update() and whether the step was skipped). Hyperparameters a case
 * leaves out take the reference library's defaults.
 */
public final class ClipCases {
    private ClipCases() {}

    /** Checks one case of kind "clip" or "loss_scale". */
    public static CaseResult check(GoldenCase c) {
        return switch (c.kind()) {
            case "clip" -> checkClip(c);
            case "loss_scale" -> checkLossScale(c);
            default -> CaseResult.skip("kind '" + c.kind() + "' is not a clipping case");
        };
    }

    private static CaseResult checkClip(GoldenCase c) {
        String fn = c.string("fn");
        List<ParamRef> params = params(c);
        GradClipper clipper = switch (fn) {
            case "clip_grad_norm" -> new GlobalNormClip((float) c.number("hyper.max_norm"), normType(c),
                    c.bool("hyper.error_if_nonfinite", false));
            case "clip_grad_value" -> new ValueClip((float) c.number("hyper.clip_value"));
            case "adaptive_grad_clip" -> new AdaptiveGradClip((float) c.number("hyper.clipping"),
                    (float) c.number("hyper.eps", 1e-3), axes(c));
            default -> null;
        };
        if (clipper == null) {
            return CaseResult.skip("clip fn '" + fn + "' is not implemented");
        }
        ClipReport report = clipper.clip(params);
        double atol = c.number("atol");
        double rtol = c.number("rtol");
        List<Tolerance.Worst> checks = new ArrayList<>();
        if (c.has("total_norm")) {
            checks.add(Tolerance.compare("total_norm", new double[] {c.number("total_norm")},
                    new float[] {(float) report.norm()}, atol, rtol));
        }
        List<?> out = c.list("grads_out");
        for (int i = 0; i < params.size(); i++) {
            double[] want = c.toNumbers("grads_out[" + i + "]", out.get(i));
            checks.add(Tolerance.compare("grads_out[" + i + "]", want, params.get(i).grad().toFloatArray(), atol,
                    rtol));
        }
        return CaseResult.of(checks);
    }

    private static CaseResult checkLossScale(GoldenCase c) {
        LossScaleHyper d = LossScaleHyper.defaults();
        LossScaleHyper h = new LossScaleHyper((float) c.number("hyper.init_scale", d.initScale()),
                c.number("hyper.growth_factor", d.growthFactor()),
                c.number("hyper.backoff_factor", d.backoffFactor()),
                c.has("hyper.growth_interval") ? c.integer("hyper.growth_interval") : d.growthInterval());
        List<?> foundInf = c.list("found_inf");
        List<?> scales = c.list("scales_after");
        List<?> skipped = c.list("step_skipped");
        if (scales.size() != foundInf.size() || skipped.size() != foundInf.size()) {
            throw c.error("scales_after", "has " + scales.size() + " steps, step_skipped " + skipped.size()
                    + ", found_inf " + foundInf.size() + "; they must agree");
        }
        DynamicLossScaler scaler = new DynamicLossScaler(h);
        // A small gradient stands in for a backward pass: finite values scaled by the current scale, plus an inf in
        // one element on the steps the case marks.
        Tensor g = Tensor.allocate(Allocators.auto(), DType.F32, 4);
        ParamRef p = new ParamRef("w", Tensor.allocate(Allocators.auto(), DType.F32, 4), g);
        long[] optimizerSteps = {0};
        double[] gotScale = new double[scales.size()];
        double[] wantScale = new double[scales.size()];
        for (int t = 0; t < foundInf.size(); t++) {
            boolean inf = bool(c, "found_inf[" + t + "]", foundInf.get(t));
            boolean wantSkip = bool(c, "step_skipped[" + t + "]", skipped.get(t));
            float k = scaler.scale();
            g.copyFrom(Tensor.of(new float[] {0.5f * k, -0.25f * k, k, 0f}, 4));
            if (inf) {
                g.setFloat(Float.POSITIVE_INFINITY, 2);
            }
            long before = optimizerSteps[0];
            LossScaleStep s = scaler.step(List.of(p), () -> optimizerSteps[0]++);
            boolean ran = optimizerSteps[0] != before;
            if (s.foundInf() != inf) {
                return CaseResult.fail("step " + t + ": found_inf expected " + inf + ", got " + s.foundInf());
            }
            if (s.stepSkipped() != wantSkip || ran == wantSkip) {
                return CaseResult.fail("step " + t + ": step_skipped expected " + wantSkip + ", got "
                        + s.stepSkipped() + " (optimizer step " + (ran ? "ran" : "did not run") + ")");
            }
            wantScale[t] = c.toNumbers("scales_after[" + t + "]", List.of(scales.get(t)))[0];
            gotScale[t] = s.scaleAfter();
        }
        float[] got = new float[gotScale.length];
        for (int i = 0; i < got.length; i++) {
            got[i] = (float) gotScale[i];
        }
        return CaseResult.of(List.of(Tolerance.compare("scales_after", wantScale, got, c.number("atol"),
                c.number("rtol"))));
    }

    private static boolean bool(GoldenCase c, String path, Object v) {
        if (!(v instanceof Boolean b)) {
            throw c.error(path, "expected true or false");
        }
        return b;
    }

    /** norm_type: a number, or the string "inf" / "-inf" as the generator writes infinities. */
    private static double normType(GoldenCase c) {
        if (!c.has("hyper.norm_type")) {
            return 2.0;
        }
        Object v = c.get("hyper.norm_type");
        if (v instanceof String s) {
            return switch (s) {
                case "inf", "Infinity" -> Double.POSITIVE_INFINITY;
                case "-inf", "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw c.error("hyper.norm_type", "expected a number or 'inf', got '" + s + "'");
            };
        }
        return c.number("hyper.norm_type");
    }

    private static int[] axes(GoldenCase c) {
        if (!c.has("hyper.axis") || c.get("hyper.axis") == null) {
            return null;
        }
        Object v = c.get("hyper.axis");
        if (v instanceof Double) {
            return new int[] {c.integer("hyper.axis")};
        }
        double[] d = c.numbers("hyper.axis");
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }

    private static List<ParamRef> params(GoldenCase c) {
        List<?> shapes = c.list("shapes");
        List<?> in = c.list("grads_in");
        List<?> values = c.has("params") ? c.list("params") : null;
        List<ParamRef> out = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) {
            double[] d = c.toNumbers("shapes[" + i + "]", shapes.get(i));
            int[] shape = new int[d.length];
            for (int k = 0; k < d.length; k++) {
                shape[k] = (int) d[k];
            }
            Tensor grad = Tensor.allocate(Allocators.auto(), DType.F32, shape);
            fill(c, "grads_in[" + i + "]", grad, in.get(i));
            Tensor value = Tensor.allocate(Allocators.auto(), DType.F32, shape);
            if (values != null) {
                fill(c, "params[" + i + "]", value, values.get(i));
            }
            out.add(new ParamRef("p" + i, value, grad));
        }
        return out;
    }

    private static void fill(GoldenCase c, String path, Tensor t, Object raw) {
        double[] v = c.toNumbers(path, raw);
        if (v.length != t.numel()) {
            throw c.error(path, "has " + v.length + " values; the shape needs " + t.numel());
        }
        t.copyFrom(Tensor.of(OptimizerCases.floats(v), t.shape()));
    }
}
