package dev.tiller.conform.optim;

import dev.tiller.optim.AdaBelief;
import dev.tiller.optim.AdaBeliefHyper;
import dev.tiller.optim.Adan;
import dev.tiller.optim.AdanHyper;
import dev.tiller.optim.Lamb;
import dev.tiller.optim.LambHyper;
import dev.tiller.optim.Lars;
import dev.tiller.optim.LarsHyper;
import dev.tiller.optim.Lion;
import dev.tiller.optim.LionHyper;
import dev.tiller.optim.NovoGrad;
import dev.tiller.optim.NovoGradHyper;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Prodigy;
import dev.tiller.optim.ProdigyHyper;
import dev.tiller.optim.ScheduleFreeAdamW;
import dev.tiller.optim.ScheduleFreeAdamWHyper;
import dev.tiller.optim.Yogi;
import dev.tiller.optim.YogiHyper;
import dev.tiller.conform.GoldenCase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Golden-case factories for optimizers named as Optax functions (optax.lion, optax.lamb, ...), with Optax 0.2.8's
 * defaults. Optax cases apply params + updates and receive the current params in update. Hyperparameters use
 * Optax's argument names; a weight-decay or trust-ratio mask may be a boolean (all parameters) or a list with one
 * boolean per parameter tensor, which becomes one parameter group per tensor whose override switches it off.
 */
final class OptaxOptimizers implements OptimizerFactory {
    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        switch (optimizer) {
            case "lion": {
                allow(c, "learning_rate", "b1", "b2", "mu_dtype", "weight_decay", "mask");
                LionHyper h = new LionHyper(lr(c), f(c, "b1", 0.9), f(c, "b2", 0.99), f(c, "weight_decay", 1e-3));
                Lion o = new Lion(groups(c, "mask", params, x -> x.withWeightDecay(0f)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "lamb": {
                allow(c, "learning_rate", "b1", "b2", "eps", "eps_root", "weight_decay", "mask");
                LambHyper h = new LambHyper(lr(c), f(c, "b1", 0.9), f(c, "b2", 0.999), f(c, "eps", 1e-6),
                        f(c, "eps_root", 0), f(c, "weight_decay", 0));
                Lamb o = new Lamb(groups(c, "mask", params, x -> x.withWeightDecay(0f)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "lars": {
                allow(c, "learning_rate", "weight_decay", "weight_decay_mask", "trust_coefficient", "eps",
                        "trust_ratio_mask", "momentum", "nesterov");
                LarsHyper h = new LarsHyper(lr(c), f(c, "weight_decay", 0), f(c, "trust_coefficient", 0.001),
                        f(c, "eps", 0), f(c, "momentum", 0.9), c.bool("hyper.nesterov", false), true);
                boolean[] decay = mask(c, "weight_decay_mask", params.size());
                boolean[] trust = mask(c, "trust_ratio_mask", params.size());
                List<ParamGroup<LarsHyper>> groups = new ArrayList<>();
                for (int i = 0; i < params.size(); i++) {
                    boolean d = decay[i];
                    boolean r = trust[i];
                    groups.add(new ParamGroup<>("p" + i, List.of(params.get(i)),
                            x -> (d ? x : x.withWeightDecay(0f)).withTrustRatio(r)));
                }
                Lars o = new Lars(groups, Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "adabelief": {
                allow(c, "learning_rate", "b1", "b2", "eps", "eps_root", "nesterov");
                AdaBeliefHyper h = new AdaBeliefHyper(lr(c), f(c, "b1", 0.9), f(c, "b2", 0.999), f(c, "eps", 1e-16),
                        f(c, "eps_root", 1e-16), c.bool("hyper.nesterov", false));
                return stepper(new AdaBelief(params), h);
            }
            case "yogi": {
                allow(c, "learning_rate", "b1", "b2", "eps");
                YogiHyper h = new YogiHyper(lr(c), f(c, "b1", 0.9), f(c, "b2", 0.999), f(c, "eps", 1e-3), 0f);
                return stepper(new Yogi(params), h);
            }
            case "adan": {
                allow(c, "learning_rate", "b1", "b2", "b3", "eps", "eps_root", "weight_decay", "mask");
                AdanHyper h = new AdanHyper(lr(c), f(c, "b1", 0.98), f(c, "b2", 0.92), f(c, "b3", 0.99),
                        f(c, "eps", 1e-8), f(c, "eps_root", 1e-8), f(c, "weight_decay", 0));
                Adan o = new Adan(groups(c, "mask", params, x -> x.withWeightDecay(0f)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "novograd": {
                allow(c, "learning_rate", "b1", "b2", "eps", "eps_root", "weight_decay");
                NovoGradHyper h = new NovoGradHyper(lr(c), f(c, "b1", 0.9), f(c, "b2", 0.25), f(c, "eps", 1e-6),
                        f(c, "eps_root", 0), f(c, "weight_decay", 0));
                return stepper(new NovoGrad(params), h);
            }
            case "schedule_free_adamw": {
                allow(c, "learning_rate", "warmup_steps", "b1", "b2", "eps", "weight_decay", "weight_lr_power",
                        "state_dtype");
                boolean warmupGiven = c.has("hyper.warmup_steps") && c.get("hyper.warmup_steps") != null;
                int warmup = warmupGiven ? c.integer("hyper.warmup_steps") : 0;
                float lr = f(c, "learning_rate", 0.0025);
                if (warmupGiven && warmup <= 0) {
                    // NOTE: Optax documents a positive integer; for <= 0 its linear_schedule degenerates to the
                    // constant init_value 0, so nothing ever moves. Reproduce that rather than fail.
                    warmup = 0;
                    lr = 0f;
                }
                ScheduleFreeAdamWHyper h = new ScheduleFreeAdamWHyper(lr, warmup,
                        f(c, "b1", 0.9), f(c, "b2", 0.999), f(c, "eps", 1e-8), f(c, "weight_decay", 0),
                        f(c, "weight_lr_power", 2.0));
                return stepper(new ScheduleFreeAdamW(params), h);
            }
            case "prodigy": {
                allow(c, "learning_rate", "betas", "beta3", "eps", "estim_lr0", "estim_lr_coef", "weight_decay",
                        "safeguard_warmup");
                double beta1 = 0.9;
                double beta2 = 0.999;
                if (c.has("hyper.betas") && c.get("hyper.betas") != null) {
                    double[] b = c.numbers("hyper.betas");
                    if (b.length != 2) {
                        throw c.error("hyper.betas", "expected two numbers (beta1, beta2), got " + b.length);
                    }
                    beta1 = b[0];
                    beta2 = b[1];
                }
                ProdigyHyper h = new ProdigyHyper(f(c, "learning_rate", 1.0), (float) beta1, (float) beta2,
                        f(c, "beta3", Math.sqrt(beta2)), f(c, "eps", 1e-8), f(c, "estim_lr0", 1e-6),
                        f(c, "estim_lr_coef", 1.0), f(c, "weight_decay", 0), c.bool("hyper.safeguard_warmup", false));
                return stepper(new Prodigy(params), h);
            }
            default:
                return null;
        }
    }

    private static <H extends Record> Stepper stepper(Optimizer<H> o, H h) {
        return () -> o.step(h);
    }

    /** learning_rate, which Optax's aliases require. */
    private static float lr(GoldenCase c) {
        if (!c.has("hyper.learning_rate")) {
            throw c.error("hyper.learning_rate", "missing (Optax's " + c.string("optimizer") + " requires it)");
        }
        return (float) c.number("hyper.learning_rate");
    }

    private static float f(GoldenCase c, String name, double fallback) {
        return (float) c.number("hyper." + name, fallback);
    }

    /** Rejects hyperparameters this optimizer does not take (a typo would otherwise silently use the default). */
    private static void allow(GoldenCase c, String... names) {
        if (!c.has("hyper")) {
            return;
        }
        Set<String> ok = Set.of(names);
        for (String k : c.object("hyper").keySet()) {
            if (!ok.contains(k)) {
                throw c.error("hyper." + k, "is not an argument of optax " + c.string("optimizer") + " (takes "
                        + List.of(names) + ")");
            }
            if ((k.equals("mu_dtype") || k.equals("state_dtype")) && c.get("hyper." + k) != null
                    && !"float32".equals(c.get("hyper." + k))) {
                throw c.error("hyper." + k, "only float32 (or null) is supported here; use StatePrecision");
            }
        }
    }

    /** A mask argument: absent, null or true = every tensor; false = none; a list = one boolean per tensor. */
    private static boolean[] mask(GoldenCase c, String name, int n) {
        boolean[] out = new boolean[n];
        Arrays.fill(out, true);
        String path = "hyper." + name;
        if (!c.has(path) || c.get(path) == null) {
            return out;
        }
        Object v = c.get(path);
        if (v instanceof Boolean b) {
            Arrays.fill(out, b);
            return out;
        }
        if (v instanceof List<?> l && l.size() == n) {
            for (int i = 0; i < n; i++) {
                if (!(l.get(i) instanceof Boolean b)) {
                    throw c.error(path + "[" + i + "]", "expected true or false");
                }
                out[i] = b;
            }
            return out;
        }
        throw c.error(path, "expected a boolean or a list of " + n + " booleans (one per parameter tensor)");
    }

    /** One group per tensor; tensors whose mask entry is false get off applied to the step's record. */
    private static <H> List<ParamGroup<H>> groups(GoldenCase c, String name, List<ParamRef> params,
                                                  UnaryOperator<H> off) {
        boolean[] m = mask(c, name, params.size());
        List<ParamGroup<H>> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            out.add(new ParamGroup<>("p" + i, List.of(params.get(i)), m[i] ? UnaryOperator.identity() : off));
        }
        return out;
    }
}
