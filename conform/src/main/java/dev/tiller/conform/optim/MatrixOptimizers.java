package dev.tiller.conform.optim;

import dev.tiller.optim.Adafactor;
import dev.tiller.optim.AdafactorHyper;
import dev.tiller.optim.Muon;
import dev.tiller.optim.MuonHyper;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Shampoo;
import dev.tiller.optim.ShampooHyper;
import dev.tiller.conform.GoldenCase;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Golden-case factories for optimizers whose state or update works on whole matrices: Adafactor (factored second
 * moments), Muon (Newton-Schulz orthogonalisation) and Shampoo (Kronecker-factored preconditioners). Hyperparameters
 * use PyTorch's argument names and defaults (Shampoo's follow the algorithm in conform's golden/README.md).
 */
final class MatrixOptimizers implements OptimizerFactory {
    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        switch (optimizer) {
            case "Adafactor": {
                requireKnown(c, Set.of("lr", "beta2_decay", "eps", "d", "weight_decay", "foreach", "maximize"));
                AdafactorHyper def = AdafactorHyper.defaults();
                float eps1 = def.eps1();
                float eps2 = def.eps2();
                if (c.has("hyper.eps") && c.get("hyper.eps") != null) {
                    List<?> e = c.list("hyper.eps");
                    if (e.size() != 2) {
                        throw c.error("hyper.eps", "expected [eps1 or null, eps2], got " + e.size() + " values");
                    }
                    eps1 = e.get(0) == null ? AdafactorHyper.EPS1_DEFAULT : (float) number(c, "hyper.eps[0]", e.get(0));
                    eps2 = (float) number(c, "hyper.eps[1]", e.get(1));
                }
                AdafactorHyper h = new AdafactorHyper((float) c.number("hyper.lr", def.lr()),
                        (float) c.number("hyper.beta2_decay", def.beta2Decay()), eps1, eps2,
                        (float) c.number("hyper.d", def.d()), (float) c.number("hyper.weight_decay", def.weightDecay()),
                        c.bool("hyper.maximize", def.maximize()));
                c.bool("hyper.foreach", false);    // validates the type; it only picks PyTorch's implementation
                Adafactor opt = new Adafactor(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> opt.step(h);
            }
            case "Muon": {
                requireKnown(c, Set.of("lr", "weight_decay", "momentum", "nesterov", "ns_coefficients", "eps",
                        "ns_steps", "adjust_lr_fn", "use_addmm"));
                MuonHyper def = MuonHyper.defaults();
                float a = def.nsA();
                float b = def.nsB();
                float cc = def.nsC();
                if (c.has("hyper.ns_coefficients") && c.get("hyper.ns_coefficients") != null) {
                    double[] k = c.numbers("hyper.ns_coefficients");
                    if (k.length != 3) {
                        throw c.error("hyper.ns_coefficients", "expected 3 values (a, b, c), got " + k.length);
                    }
                    a = (float) k[0];
                    b = (float) k[1];
                    cc = (float) k[2];
                }
                MuonHyper.AdjustLr adjust = MuonHyper.AdjustLr.ORIGINAL;
                if (c.has("hyper.adjust_lr_fn") && c.get("hyper.adjust_lr_fn") != null) {
                    adjust = switch (c.string("hyper.adjust_lr_fn")) {
                        case "original" -> MuonHyper.AdjustLr.ORIGINAL;
                        case "match_rms_adamw" -> MuonHyper.AdjustLr.MATCH_RMS_ADAMW;
                        default -> throw c.error("hyper.adjust_lr_fn", "expected null, \"original\" or"
                                + " \"match_rms_adamw\", got \"" + c.string("hyper.adjust_lr_fn") + "\"");
                    };
                }
                int steps = c.has("hyper.ns_steps") && c.get("hyper.ns_steps") != null ? c.integer("hyper.ns_steps")
                        : def.nsSteps();
                c.bool("hyper.use_addmm", false);  // same products either way
                MuonHyper h = new MuonHyper((float) c.number("hyper.lr", def.lr()),
                        (float) c.number("hyper.weight_decay", def.weightDecay()),
                        (float) c.number("hyper.momentum", def.momentum()), c.bool("hyper.nesterov", def.nesterov()),
                        a, b, cc, (float) c.number("hyper.eps", def.eps()), steps, adjust);
                Muon opt = new Muon(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> opt.step(h);
            }
            case "Shampoo": {
                requireKnown(c, Set.of("lr", "eps", "update_freq", "exponent"));
                float exponent = ShampooHyper.ORDER_RULE;
                if (c.has("hyper.exponent") && c.get("hyper.exponent") != null) {
                    exponent = parseExponent(c, c.get("hyper.exponent"));
                }
                int freq = c.has("hyper.update_freq") && c.get("hyper.update_freq") != null
                        ? c.integer("hyper.update_freq") : 1;
                ShampooHyper h = new ShampooHyper((float) c.number("hyper.lr", 0.1),
                        (float) c.number("hyper.eps", 1e-4), freq, exponent);
                Shampoo opt = new Shampoo(List.of(ParamGroup.of("all", params)), h, Map.of(), null, 0);
                return () -> opt.step(h);
            }
            default:
                return null;
        }
    }

    /** "1/(2*order)" (the paper's rule), a number e, or "1/N" / "p/q" for a fixed e. */
    private static float parseExponent(GoldenCase c, Object v) {
        if (v instanceof Double d) {
            return d.floatValue();
        }
        if (!(v instanceof String s)) {
            throw c.error("hyper.exponent", "expected \"1/(2*order)\" or a number");
        }
        String t = s.replace(" ", "");
        if (t.equals("1/(2*order)") || t.equals("1/(2k)")) {
            return ShampooHyper.ORDER_RULE;
        }
        try {
            int slash = t.indexOf('/');
            if (slash < 0) {
                return Float.parseFloat(t);
            }
            return (float) (Double.parseDouble(t.substring(0, slash)) / Double.parseDouble(t.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw c.error("hyper.exponent", "expected \"1/(2*order)\", a number or \"p/q\", got \"" + s + "\"");
        }
    }

    private static double number(GoldenCase c, String path, Object v) {
        if (!(v instanceof Double d)) {
            throw c.error(path, "expected a number");
        }
        return d;
    }

    private static void requireKnown(GoldenCase c, Set<String> known) {
        if (!c.has("hyper") || c.get("hyper") == null) {
            return;
        }
        for (String k : c.object("hyper").keySet()) {
            if (!known.contains(k)) {
                throw c.error("hyper." + k, "unknown hyperparameter for " + c.string("optimizer") + "; known: "
                        + new TreeSet<>(known));
            }
        }
    }
}
