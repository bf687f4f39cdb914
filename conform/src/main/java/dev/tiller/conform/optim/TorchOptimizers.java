package dev.tiller.conform.optim;

import dev.tiller.optim.Adadelta;
import dev.tiller.optim.AdadeltaHyper;
import dev.tiller.optim.Adagrad;
import dev.tiller.optim.AdagradHyper;
import dev.tiller.optim.Adam;
import dev.tiller.optim.AdamHyper;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Adamax;
import dev.tiller.optim.AdamaxHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.NAdam;
import dev.tiller.optim.NAdamHyper;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.RAdam;
import dev.tiller.optim.RAdamHyper;
import dev.tiller.optim.RMSprop;
import dev.tiller.optim.RMSpropHyper;
import dev.tiller.optim.Sgd;
import dev.tiller.optim.SgdHyper;
import dev.tiller.conform.GoldenCase;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Golden-case factories for optimizers named as PyTorch classes (torch.optim.*), with PyTorch 2.11's defaults for
 * every argument a case leaves out. Arguments that only choose an implementation (foreach, fused, capturable,
 * differentiable) are accepted and ignored; any other unknown argument is an error naming the case and field.
 */
final class TorchOptimizers implements OptimizerFactory {
    private static final Set<String> IMPLEMENTATION_FLAGS = Set.of("foreach", "fused", "capturable",
            "differentiable");

    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        try {
            return build(c, optimizer, params);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(c.file())) {
                throw e;
            }
            throw c.error("hyper", e.getMessage());
        }
    }

    private static Stepper build(GoldenCase c, String optimizer, List<ParamRef> params) {
        switch (optimizer) {
            case "SGD": {
                allow(c, "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize");
                SgdHyper h = new SgdHyper(num(c, "lr", 1e-3), num(c, "momentum", 0), num(c, "dampening", 0),
                        num(c, "weight_decay", 0), flag(c, "nesterov"), flag(c, "maximize"));
                Sgd o = new Sgd(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "Adam": {
                allow(c, "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay");
                float[] b = betas(c);
                AdamHyper h = new AdamHyper(num(c, "lr", 1e-3), b[0], b[1], num(c, "eps", 1e-8),
                        num(c, "weight_decay", 0), flag(c, "amsgrad"), flag(c, "maximize"),
                        flag(c, "decoupled_weight_decay"));
                Adam o = new Adam(List.of(ParamGroup.of("all", params)), Map.of(), null, 0,
                        h.amsgrad() ? Amsgrad.WITH_MAX_STATE : Amsgrad.WITHOUT_MAX_STATE);
                return () -> o.step(h);
            }
            case "AdamW": {
                allow(c, "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize");
                float[] b = betas(c);
                AdamWHyper h = new AdamWHyper(num(c, "lr", 1e-3), b[0], b[1], num(c, "eps", 1e-8),
                        num(c, "weight_decay", 1e-2), flag(c, "amsgrad"), flag(c, "maximize"));
                AdamW o = new AdamW(List.of(ParamGroup.of("all", params)), Map.of(), null, 0,
                        h.amsgrad() ? Amsgrad.WITH_MAX_STATE : Amsgrad.WITHOUT_MAX_STATE);
                return () -> o.step(h);
            }
            case "NAdam": {
                allow(c, "lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay",
                        "maximize");
                float[] b = betas(c);
                NAdamHyper h = new NAdamHyper(num(c, "lr", 2e-3), b[0], b[1], num(c, "eps", 1e-8),
                        num(c, "weight_decay", 0), num(c, "momentum_decay", 4e-3), flag(c, "decoupled_weight_decay"),
                        flag(c, "maximize"));
                NAdam o = new NAdam(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "RAdam": {
                allow(c, "lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize");
                float[] b = betas(c);
                RAdamHyper h = new RAdamHyper(num(c, "lr", 1e-3), b[0], b[1], num(c, "eps", 1e-8),
                        num(c, "weight_decay", 0), flag(c, "decoupled_weight_decay"), flag(c, "maximize"));
                RAdam o = new RAdam(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "Adamax": {
                allow(c, "lr", "betas", "eps", "weight_decay", "maximize");
                float[] b = betas(c);
                AdamaxHyper h = new AdamaxHyper(num(c, "lr", 2e-3), b[0], b[1], num(c, "eps", 1e-8),
                        num(c, "weight_decay", 0), flag(c, "maximize"));
                Adamax o = new Adamax(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "Adagrad": {
                allow(c, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize");
                AdagradHyper h = new AdagradHyper(num(c, "lr", 1e-2), num(c, "lr_decay", 0),
                        num(c, "weight_decay", 0), num(c, "eps", 1e-10), flag(c, "maximize"));
                Adagrad o = new Adagrad(List.of(ParamGroup.of("all", params)), Map.of(), null, 0,
                        num(c, "initial_accumulator_value", 0));
                return () -> o.step(h);
            }
            case "RMSprop": {
                allow(c, "lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize");
                RMSpropHyper h = new RMSpropHyper(num(c, "lr", 1e-2), num(c, "alpha", 0.99), num(c, "eps", 1e-8),
                        num(c, "weight_decay", 0), num(c, "momentum", 0), flag(c, "centered"), flag(c, "maximize"));
                RMSprop o = new RMSprop(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            case "Adadelta": {
                allow(c, "lr", "rho", "eps", "weight_decay", "maximize");
                AdadeltaHyper h = new AdadeltaHyper(num(c, "lr", 1.0), num(c, "rho", 0.9), num(c, "eps", 1e-6),
                        num(c, "weight_decay", 0), flag(c, "maximize"));
                Adadelta o = new Adadelta(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> o.step(h);
            }
            default:
                return null;
        }
    }

    /** Rejects hyperparameters this optimizer does not have (a typo would otherwise fall back to a default). */
    private static void allow(GoldenCase c, String... names) {
        if (!c.has("hyper")) {
            return;
        }
        Set<String> known = Set.of(names);
        for (String k : c.object("hyper").keySet()) {
            if (!known.contains(k) && !IMPLEMENTATION_FLAGS.contains(k)) {
                throw c.error("hyper." + k, "unknown argument for " + c.string("optimizer") + "; known: "
                        + List.of(names));
            }
        }
    }

    private static float num(GoldenCase c, String name, double fallback) {
        return (float) c.number("hyper." + name, fallback);
    }

    private static boolean flag(GoldenCase c, String name) {
        return c.bool("hyper." + name, false);
    }

    /** PyTorch's betas=(beta1, beta2), default (0.9, 0.999). */
    private static float[] betas(GoldenCase c) {
        if (!c.has("hyper.betas") || c.get("hyper.betas") == null) {
            return new float[] {0.9f, 0.999f};
        }
        double[] b = c.toNumbers("hyper.betas", c.get("hyper.betas"));
        if (b.length != 2) {
            throw c.error("hyper.betas", "expected [beta1, beta2], got " + b.length + " values");
        }
        return new float[] {(float) b[0], (float) b[1]};
    }
}
