package dev.tiller.conform.op;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.Tolerance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one golden "op" case (conform's golden/README.md): builds the inputs, applies the op through {@link F} with
 * PyTorch's attribute names and defaults, runs backward with the case's grad_out, and compares the output and
 * every listed gradient with the case's tolerance. Unknown ops and malformed fields raise errors naming the file,
 * the case and the field.
 */
public final class OpCases {
    private OpCases() {}

    /** The op names this checker knows. */
    public static final List<String> OPS = List.of("matmul", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt",
            "tanh", "sigmoid", "relu", "silu", "softplus", "pow", "gelu", "leaky_relu", "sum", "mean", "amax",
            "logsumexp", "softmax", "log_softmax", "cross_entropy", "mse_loss", "layer_norm", "rms_norm", "embedding",
            "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
            "scaled_dot_product_attention", "permute", "reshape", "cat", "maximum", "clamp", "where", "transpose");

    /** Checks c, a case of kind "op". */
    public static CaseResult check(GoldenCase c) {
        String op = c.string("op");
        if (!OPS.contains(op)) {
            throw c.error("op", "unknown op '" + op + "' (known: " + String.join(", ", OPS) + ")");
        }
        double atol = c.number("atol");
        double rtol = c.number("rtol");
        Map<String, Variable> in = new LinkedHashMap<>();
        for (String name : c.object("inputs").keySet()) {
            GoldenCase.Array a = c.array("inputs." + name);
            in.put(name, Variable.param(name, Tensor.of(a.floats(), a.shape())));
        }
        Map<String, Tensor> ints = new LinkedHashMap<>();
        if (c.has("int_inputs") && c.get("int_inputs") != null) {
            for (String name : c.object("int_inputs").keySet()) {
                GoldenCase.Array a = c.array("int_inputs." + name);
                long[] v = new long[a.data().length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (long) a.data()[i];
                }
                ints.put(name, Tensor.ofLongs(v, a.shape()));
            }
        }
        Map<String, Object> attrs = c.has("attrs") && c.get("attrs") != null ? c.object("attrs") : Map.of();
        Variable out = apply(c, op, in, ints, new Attrs(c, attrs));

        List<Tolerance.Worst> checks = new ArrayList<>();
        GoldenCase.Array expectOut = c.array("out");
        if (!Arrays.equals(expectOut.shape(), out.shape())) {
            return CaseResult.fail("out: shape " + Arrays.toString(out.shape()) + ", expected "
                    + Arrays.toString(expectOut.shape()));
        }
        checks.add(Tolerance.compare("out", expectOut.data(), out.value().toFloatArray(), atol, rtol));
        if (c.has("grads") && c.get("grads") != null) {
            GoldenCase.Array g = c.array("grad_out");
            out.backward(Tensor.of(g.floats(), g.shape()));
            for (String name : c.object("grads").keySet()) {
                Variable v = in.get(name);
                if (v == null) {
                    throw c.error("grads." + name, "names no float input (inputs: " + in.keySet() + ")");
                }
                GoldenCase.Array expect = c.array("grads." + name);
                Tensor got = v.grad() == null ? Tensor.zeros(v.shape()) : v.grad();
                if (!Arrays.equals(expect.shape(), got.shape())) {
                    return CaseResult.fail("grads." + name + ": shape " + Arrays.toString(got.shape())
                            + ", expected " + Arrays.toString(expect.shape()));
                }
                checks.add(Tolerance.compare("grads." + name, expect.data(), got.toFloatArray(), atol, rtol));
            }
        }
        return CaseResult.of(checks);
    }

    private static Variable input(GoldenCase c, Map<String, Variable> in, String name) {
        Variable v = in.get(name);
        if (v == null) {
            throw c.error("inputs." + name, "missing");
        }
        return v;
    }

    private static Tensor intInput(GoldenCase c, Map<String, Tensor> ints, String name) {
        Tensor t = ints.get(name);
        if (t == null) {
            throw c.error("int_inputs." + name, "missing");
        }
        return t;
    }

    private static Variable apply(GoldenCase c, String op, Map<String, Variable> in, Map<String, Tensor> ints,
                                  Attrs at) {
        return switch (op) {
            case "matmul" -> F.matmul(input(c, in, "a"), input(c, in, "b"));
            case "add" -> F.add(input(c, in, "a"), input(c, in, "b"));
            case "sub" -> F.sub(input(c, in, "a"), input(c, in, "b"));
            case "mul" -> F.mul(input(c, in, "a"), input(c, in, "b"));
            case "div" -> F.div(input(c, in, "a"), input(c, in, "b"));
            case "maximum" -> F.maximum(input(c, in, "a"), input(c, in, "b"));
            case "neg" -> F.neg(input(c, in, "x"));
            case "exp" -> F.exp(input(c, in, "x"));
            case "log" -> F.log(input(c, in, "x"));
            case "sqrt" -> F.sqrt(input(c, in, "x"));
            case "tanh" -> F.tanh(input(c, in, "x"));
            case "sigmoid" -> F.sigmoid(input(c, in, "x"));
            case "relu" -> F.relu(input(c, in, "x"));
            case "silu" -> F.silu(input(c, in, "x"));
            case "softplus" -> F.softplus(input(c, in, "x"), at.f("beta", 1f), at.f("threshold", 20f));
            case "pow" -> F.pow(input(c, in, "x"), at.f("exponent", Float.NaN));
            case "gelu" -> F.gelu(input(c, in, "x"), switch (at.s("approximate", "none")) {
                case "none" -> false;
                case "tanh" -> true;
                default -> throw c.error("attrs.approximate", "expected \"none\" or \"tanh\"");
            });
            case "leaky_relu" -> F.leakyRelu(input(c, in, "x"), at.f("negative_slope", 0.01f));
            case "clamp" -> F.clamp(input(c, in, "x"), at.f("min", Float.NEGATIVE_INFINITY),
                    at.f("max", Float.POSITIVE_INFINITY));
            case "where" -> F.where(intInput(c, ints, "condition").to(DType.F32), input(c, in, "a"), input(c, in, "b"));
            case "sum" -> F.sum(input(c, in, "x"), at.dims("dim"), at.b("keepdim", false));
            case "mean" -> F.mean(input(c, in, "x"), at.dims("dim"), at.b("keepdim", false));
            case "amax" -> F.amax(input(c, in, "x"), at.dims("dim"), at.b("keepdim", false));
            case "logsumexp" -> F.logsumexp(input(c, in, "x"), at.dims("dim"), at.b("keepdim", false));
            case "softmax" -> F.softmax(input(c, in, "x"), at.i("dim", -1));
            case "log_softmax" -> F.logSoftmax(input(c, in, "x"), at.i("dim", -1));
            case "cross_entropy" -> F.crossEntropy(input(c, in, "logits"), intInput(c, ints, "target"),
                    at.f("label_smoothing", 0f), (long) at.f("ignore_index", -100f), at.s("reduction", "mean"));
            case "mse_loss" -> F.mseLoss(input(c, in, "x"), input(c, in, "y"), at.s("reduction", "mean"));
            case "layer_norm" -> layerNorm(c, in, at);
            case "rms_norm" -> rmsNorm(c, in, at);
            case "embedding" -> F.embedding(input(c, in, "weight"), intInput(c, ints, "indices"));
            case "conv2d" -> F.conv2d(input(c, in, "x"), input(c, in, "weight"), in.get("bias"),
                    at.pair("stride", 1), at.pair("padding", 0), at.pair("dilation", 1), at.i("groups", 1));
            case "max_pool2d" -> {
                int[] k = at.pair("kernel_size", -1);
                yield F.maxPool2d(input(c, in, "x"), k, at.pairOrNull("stride"), at.pair("padding", 0),
                        at.pair("dilation", 1), at.b("ceil_mode", false));
            }
            case "avg_pool2d" -> {
                if (at.has("divisor_override")) {
                    throw c.error("attrs.divisor_override", "not supported");
                }
                yield F.avgPool2d(input(c, in, "x"), at.pair("kernel_size", -1), at.pairOrNull("stride"),
                        at.pair("padding", 0), at.b("ceil_mode", false), at.b("count_include_pad", true));
            }
            case "adaptive_avg_pool2d" -> {
                int[] o = at.pair("output_size", -1);
                yield F.adaptiveAvgPool2d(input(c, in, "x"), o[0], o[1]);
            }
            case "batch_norm" -> {
                Variable x = input(c, in, "x");
                int ch = x.shape()[1];
                boolean training = at.b("training", false);
                Tensor rm = in.containsKey("running_mean") ? in.get("running_mean").value()
                        : training ? null : Tensor.zeros(ch);
                Tensor rv = in.containsKey("running_var") ? in.get("running_var").value()
                        : training ? null : Tensor.ones(ch);
                yield F.batchNorm2d(x, in.get("weight"), in.get("bias"), rm, rv, training, at.f("momentum", 0.1f),
                        at.f("eps", 1e-5f));
            }
            case "scaled_dot_product_attention" -> F.attention(input(c, in, "q"), input(c, in, "k"),
                    input(c, in, "v"), at.b("is_causal", false), at.f("scale", Float.NaN));
            case "permute" -> F.permute(input(c, in, "x"), at.ints("dims"));
            case "transpose" -> F.transpose(input(c, in, "x"), at.i("dim0", 0), at.i("dim1", 1));
            case "reshape" -> F.reshape(input(c, in, "x"), at.ints("shape"));
            case "cat" -> F.cat(at.i("dim", 0), in.values().toArray(new Variable[0]));
            default -> throw c.error("op", "unknown op '" + op + "'");
        };
    }

    private static Variable layerNorm(GoldenCase c, Map<String, Variable> in, Attrs at) {
        float eps = at.f("eps", 1e-5f);
        return overNormalizedShape(input(c, in, "x"), at.ints("normalized_shape"), in.get("weight"), in.get("bias"),
                (x, w, b) -> F.layerNorm(x, w, b, eps));
    }

    private static Variable rmsNorm(GoldenCase c, Map<String, Variable> in, Attrs at) {
        // PyTorch's default eps (None) is torch.finfo(float32).eps.
        float eps = at.f("eps", Math.ulp(1f));
        return overNormalizedShape(input(c, in, "x"), at.ints("normalized_shape"), in.get("weight"), null,
                (x, w, b) -> F.rmsNorm(x, w, eps));
    }

    /** A norm over the last dim of x, with optional weight and bias of that dim's size. */
    private interface LastDimNorm {
        Variable apply(Variable x, Variable weight, Variable bias);
    }

    /**
     * PyTorch's normalized_shape: normalise over the last ns.length dims of x by flattening them into one, applying
     * norm, and restoring x's shape (weight and bias, shaped ns, are flattened alike).
     */
    private static Variable overNormalizedShape(Variable x, int[] ns, Variable weight, Variable bias,
                                                LastDimNorm norm) {
        if (ns.length == 1) {
            return norm.apply(x, weight, bias);
        }
        int[] s = x.shape();
        int inner = 1;
        for (int d : ns) {
            inner *= d;
        }
        int[] flat = Arrays.copyOf(s, s.length - ns.length + 1);
        flat[flat.length - 1] = inner;
        Variable w = weight == null ? null : F.reshape(weight, inner);
        Variable b = bias == null ? null : F.reshape(bias, inner);
        return F.reshape(norm.apply(F.reshape(x, flat), w, b), s);
    }

    /** Typed access to a case's attrs with PyTorch defaults; errors name the attribute. */
    private record Attrs(GoldenCase c, Map<String, Object> m) {
        boolean has(String k) {
            return m.containsKey(k) && m.get(k) != null;
        }

        float f(String k, float fallback) {
            if (!has(k)) {
                if (Float.isNaN(fallback) && !k.equals("scale")) {
                    throw c.error("attrs." + k, "missing");
                }
                return fallback;
            }
            return (float) c.number("attrs." + k);
        }

        int i(String k, int fallback) {
            return has(k) ? c.integer("attrs." + k) : fallback;
        }

        boolean b(String k, boolean fallback) {
            return c.bool("attrs." + k, fallback);
        }

        String s(String k, String fallback) {
            return has(k) ? c.string("attrs." + k) : fallback;
        }

        int[] ints(String k) {
            Object v = c.get("attrs." + k);
            return v instanceof Double ? new int[] {c.integer("attrs." + k)} : c.integers("attrs." + k);
        }

        /** dim attribute: null or absent = all dims (empty array); an int or a list. */
        int[] dims(String k) {
            return has(k) ? ints(k) : new int[0];
        }

        /** An int or a 2-list, as PyTorch's _pair. */
        int[] pair(String k, int fallback) {
            if (!has(k)) {
                if (fallback < 0) {
                    throw c.error("attrs." + k, "missing");
                }
                return new int[] {fallback, fallback};
            }
            int[] v = ints(k);
            if (v.length == 1) {
                return new int[] {v[0], v[0]};
            }
            if (v.length != 2) {
                throw c.error("attrs." + k, "expected an int or two ints, got " + v.length);
            }
            return v;
        }

        int[] pairOrNull(String k) {
            if (!has(k)) {
                return null;
            }
            Object v = m.get(k);
            if (v instanceof List<?> l && l.isEmpty()) {
                return null;     // PyTorch: stride=[] means stride = kernel_size
            }
            return pair(k, 1);
        }
    }
}
