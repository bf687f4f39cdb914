package dev.tiller.conform.optim;

import dev.tiller.optim.schedule.ConstantLr;
import dev.tiller.optim.schedule.CosineAnnealingLr;
import dev.tiller.optim.schedule.CosineAnnealingWarmRestarts;
import dev.tiller.optim.schedule.CosineDecaySchedule;
import dev.tiller.optim.schedule.CosineOnecycleSchedule;
import dev.tiller.optim.schedule.CyclicLr;
import dev.tiller.optim.schedule.ExponentialDecay;
import dev.tiller.optim.schedule.ExponentialLr;
import dev.tiller.optim.schedule.LinearLr;
import dev.tiller.optim.schedule.MultiStepLr;
import dev.tiller.optim.schedule.OneCycleLr;
import dev.tiller.optim.schedule.OptaxReduceOnPlateau;
import dev.tiller.optim.schedule.PiecewiseConstantSchedule;
import dev.tiller.optim.schedule.PolynomialLr;
import dev.tiller.optim.schedule.PolynomialSchedule;
import dev.tiller.optim.schedule.ReduceLrOnPlateau;
import dev.tiller.optim.schedule.Schedule;
import dev.tiller.optim.schedule.StepLr;
import dev.tiller.conform.CaseResult;
import dev.tiller.conform.GoldenCase;
import dev.tiller.conform.Tolerance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs golden "schedule" cases (conform's golden/README.md). PyTorch cases: an SGD optimizer (momentum 0.9 unless the
 * case says otherwise) with base_lr; {@code lrs[t]} and {@code momentums[t]} are the values in effect for step t,
 * the scheduler stepping after each optimizer step; plateau cases feed {@code metrics[t]} after step t. Optax cases:
 * {@code lrs[t] = schedule(t)}; reduce_on_plateau gives {@code scales[t]} before the t-th update. Hyperparameters a
 * case omits take the reference library's defaults; an argument this runner does not know fails the case.
 */
public final class ScheduleCases {
    /** PyTorch's SGD momentum in the golden cases (the format's fixed "an SGD (momentum 0.9) optimizer"). */
    private static final double SGD_MOMENTUM = 0.9;

    private ScheduleCases() {}

    /** An lr schedule and, for schedulers that cycle it, the momentum schedule (else null). */
    private record Built(Schedule lr, Schedule momentum) {}

    /** Checks one case of kind "schedule". */
    public static CaseResult check(GoldenCase c) {
        String name = c.string("schedule");
        Map<String, Object> hyper = c.has("hyper") ? c.object("hyper") : Map.of();
        try {
            if (name.startsWith("optax.")) {
                return optax(c, name.substring("optax.".length()), hyper);
            }
            return torch(c, name, hyper);
        } catch (UnsupportedOperationException e) {
            return CaseResult.skip(e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            return CaseResult.fail(name + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- PyTorch

    private static CaseResult torch(GoldenCase c, String name, Map<String, Object> hyper) {
        double baseLr = c.number("base_lr");
        double momentum0 = c.number("momentum", SGD_MOMENTUM);
        double[] wantLrs = c.numbers("lrs");
        int steps = wantLrs.length;
        double[] lrs = new double[steps];
        double[] moms = new double[steps];
        if (name.equals("ReduceLROnPlateau")) {
            ReduceLrOnPlateau p = plateau(new ScheduleArgs(name, hyper, Set.of("mode", "factor", "patience",
                    "threshold", "threshold_mode", "cooldown", "min_lr", "eps")), baseLr);
            double[] metrics = c.numbers("metrics");
            if (metrics.length < steps) {
                throw c.error("metrics", "has " + metrics.length + " values for " + steps + " steps");
            }
            ReduceLrOnPlateau.State s = p.initial();
            for (int t = 0; t < steps; t++) {
                lrs[t] = p.scale(s);
                moms[t] = momentum0;
                s = p.observe(s, metrics[t]);
            }
        } else {
            Built b = build(name, hyper, baseLr, momentum0);
            for (int t = 0; t < steps; t++) {
                lrs[t] = b.lr().at(t);
                moms[t] = b.momentum() == null ? momentum0 : b.momentum().at(t);
            }
        }
        List<Tolerance.Worst> checks = new ArrayList<>();
        checks.add(Tolerance.compare("lrs", wantLrs, lrs, c.number("atol"), c.number("rtol")));
        if (c.has("momentums")) {
            checks.add(Tolerance.compare("momentums", c.numbers("momentums"), moms, c.number("atol"),
                    c.number("rtol")));
        }
        return CaseResult.of(checks);
    }

    private static ReduceLrOnPlateau plateau(ScheduleArgs a, double baseLr) {
        ReduceLrOnPlateau.Mode mode = switch (a.str("mode", "min")) {
            case "min" -> ReduceLrOnPlateau.Mode.MIN;
            case "max" -> ReduceLrOnPlateau.Mode.MAX;
            default -> throw new IllegalArgumentException("ReduceLROnPlateau: mode " + a.str("mode", "")
                    + " is unknown");
        };
        ReduceLrOnPlateau.ThresholdMode tm = switch (a.str("threshold_mode", "rel")) {
            case "rel" -> ReduceLrOnPlateau.ThresholdMode.REL;
            case "abs" -> ReduceLrOnPlateau.ThresholdMode.ABS;
            default -> throw new IllegalArgumentException("ReduceLROnPlateau: threshold_mode "
                    + a.str("threshold_mode", "") + " is unknown");
        };
        return ReduceLrOnPlateau.torch(baseLr, mode, a.num("factor", 0.1), (int) a.integer("patience", 10),
                a.num("threshold", 1e-4), tm, (int) a.integer("cooldown", 0), a.num("min_lr", 0.0),
                a.num("eps", 1e-8));
    }

    /** A PyTorch scheduler by class name, with PyTorch's defaults for omitted arguments. */
    private static Built build(String name, Map<String, Object> hyper, double baseLr, double momentum0) {
        return switch (name) {
            case "StepLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("step_size", "gamma"));
                yield new Built(new StepLr(baseLr, a.integer("step_size"), a.num("gamma", 0.1)), null);
            }
            case "MultiStepLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("milestones", "gamma"));
                yield new Built(new MultiStepLr(baseLr, a.longs("milestones"), a.num("gamma", 0.1)), null);
            }
            case "ExponentialLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("gamma"));
                yield new Built(new ExponentialLr(baseLr, a.num("gamma")), null);
            }
            case "ConstantLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("factor", "total_iters"));
                yield new Built(new ConstantLr(baseLr, a.num("factor", 1.0 / 3), a.integer("total_iters", 5)), null);
            }
            case "LinearLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("start_factor", "end_factor", "total_iters"));
                yield new Built(new LinearLr(baseLr, a.num("start_factor", 1.0 / 3), a.num("end_factor", 1.0),
                        a.integer("total_iters", 5)), null);
            }
            case "PolynomialLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("total_iters", "power"));
                yield new Built(new PolynomialLr(baseLr, a.integer("total_iters", 5), a.num("power", 1.0)), null);
            }
            case "CosineAnnealingLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("T_max", "eta_min"));
                yield new Built(new CosineAnnealingLr(baseLr, a.integer("T_max"), a.num("eta_min", 0.0)), null);
            }
            case "CosineAnnealingWarmRestarts" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("T_0", "T_mult", "eta_min"));
                yield new Built(new CosineAnnealingWarmRestarts(baseLr, a.integer("T_0"), a.integer("T_mult", 1),
                        a.num("eta_min", 0.0)), null);
            }
            case "OneCycleLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("max_lr", "total_steps", "epochs",
                        "steps_per_epoch", "pct_start", "anneal_strategy", "cycle_momentum", "base_momentum",
                        "max_momentum", "div_factor", "final_div_factor", "three_phase"));
                long total = a.has("total_steps") ? a.integer("total_steps")
                        : a.integer("epochs") * a.integer("steps_per_epoch");
                OneCycleLr.Anneal anneal = switch (a.str("anneal_strategy", "cos")) {
                    case "cos" -> OneCycleLr.Anneal.COS;
                    case "linear" -> OneCycleLr.Anneal.LINEAR;
                    default -> throw new IllegalArgumentException("OneCycleLR: anneal_strategy must be 'cos' or"
                            + " 'linear', got " + a.str("anneal_strategy", ""));
                };
                OneCycleLr s = new OneCycleLr(a.num("max_lr"), total, a.num("pct_start", 0.3), anneal,
                        a.bool("cycle_momentum", true), a.num("base_momentum", 0.85), a.num("max_momentum", 0.95),
                        a.num("div_factor", 25.0), a.num("final_div_factor", 1e4), a.bool("three_phase", false));
                yield new Built(s, s.cycleMomentum() ? s.momentum() : null);
            }
            case "CyclicLR" -> {
                ScheduleArgs a = new ScheduleArgs(name, hyper, Set.of("base_lr", "max_lr", "step_size_up",
                        "step_size_down", "mode", "gamma", "scale_mode", "cycle_momentum", "base_momentum",
                        "max_momentum"));
                CyclicLr.Mode mode = switch (a.str("mode", "triangular")) {
                    case "triangular" -> CyclicLr.Mode.TRIANGULAR;
                    case "triangular2" -> CyclicLr.Mode.TRIANGULAR2;
                    case "exp_range" -> CyclicLr.Mode.EXP_RANGE;
                    default -> throw new IllegalArgumentException("CyclicLR: mode " + a.str("mode", "")
                            + " is invalid");
                };
                long up = a.integer("step_size_up", 2000);
                // NOTE: scale_mode is ignored for the built-in modes (PyTorch's _init_scale_fn overrides it).
                CyclicLr s = new CyclicLr(a.num("base_lr"), a.num("max_lr"), up, a.integer("step_size_down", up),
                        mode, a.num("gamma", 1.0), a.bool("cycle_momentum", true), a.num("base_momentum", 0.8),
                        a.num("max_momentum", 0.9));
                yield new Built(s, s.cycleMomentum() ? s.momentum() : null);
            }
            case "SequentialLR" -> sequential(hyper, baseLr, momentum0);
            default -> throw new UnsupportedOperationException("PyTorch scheduler '" + name + "' is not implemented");
        };
    }

    /**
     * SequentialLR: the sub-schedulers are the "schedulers" list, or else every string argument in order, each a
     * PyTorch constructor call. Each part restarts from its own step 0 at its milestone (PyTorch's quirk).
     */
    private static Built sequential(Map<String, Object> hyper, double baseLr, double momentum0) {
        List<String> calls = new ArrayList<>();
        Map<String, Object> rest = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : hyper.entrySet()) {
            if (e.getKey().equals("schedulers") && e.getValue() instanceof List<?> l) {
                for (Object o : l) {
                    calls.add(String.valueOf(o));
                }
            } else if (e.getValue() instanceof String s) {
                calls.add(s);
            } else {
                rest.put(e.getKey(), e.getValue());
            }
        }
        ScheduleArgs a = new ScheduleArgs("SequentialLR", rest, Set.of("milestones"));
        List<Schedule> lrParts = new ArrayList<>();
        List<Schedule> momParts = new ArrayList<>();
        boolean anyMomentum = false;
        for (String call : calls) {
            ScheduleArgs.Call parsed = ScheduleArgs.parseCall(call);
            Built b = build(parsed.name(), parsed.kwargs(), baseLr, momentum0);
            lrParts.add(b.lr());
            momParts.add(b.momentum() == null ? Schedule.constant(momentum0) : b.momentum());
            anyMomentum |= b.momentum() != null;
        }
        long[] milestones = a.longs("milestones").stream().mapToLong(Long::longValue).toArray();
        Schedule lr = Schedule.sequence(lrParts, milestones);
        return new Built(lr, anyMomentum ? Schedule.sequence(momParts, milestones) : null);
    }

    // ---------------------------------------------------------------- Optax

    private static CaseResult optax(GoldenCase c, String fn, Map<String, Object> hyper) {
        double atol = c.number("atol");
        double rtol = c.number("rtol");
        if (fn.equals("contrib.reduce_on_plateau")) {
            ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("factor", "patience", "rtol", "atol", "cooldown",
                    "accumulation_size", "min_scale"));
            OptaxReduceOnPlateau p = new OptaxReduceOnPlateau(a.num("factor", 0.1), (int) a.integer("patience", 10),
                    a.num("rtol", 1e-4), a.num("atol", 0.0), (int) a.integer("cooldown", 0),
                    (int) a.integer("accumulation_size", 1), a.num("min_scale", 0.0));
            double[] metrics = c.numbers("metrics");
            double[] want = c.numbers("scales");
            double[] got = new double[want.length];
            OptaxReduceOnPlateau.State s = p.initial();
            for (int t = 0; t < want.length; t++) {
                got[t] = p.scale(s);
                s = p.observe(s, metrics[t]);
            }
            return CaseResult.of(List.of(Tolerance.compare("scales", want, got, atol, rtol)));
        }
        Schedule s = optaxSchedule(fn, hyper);
        double[] want = c.numbers("lrs");
        double[] got = new double[want.length];
        for (int t = 0; t < want.length; t++) {
            got[t] = s.at(t);
        }
        return CaseResult.of(List.of(Tolerance.compare("lrs", want, got, atol, rtol)));
    }

    /** An Optax schedule by function name, with Optax's defaults for omitted arguments. */
    private static Schedule optaxSchedule(String fn, Map<String, Object> hyper) {
        return switch (fn) {
            case "constant_schedule" -> Schedule.constant((float) new ScheduleArgs(fn, hyper, Set.of("value"))
                    .num("value"));
            case "polynomial_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "end_value", "power",
                        "transition_steps", "transition_begin"));
                yield new PolynomialSchedule(a.num("init_value"), a.num("end_value"), a.num("power"),
                        a.integer("transition_steps"), a.integer("transition_begin", 0));
            }
            case "linear_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "end_value", "transition_steps",
                        "transition_begin"));
                yield PolynomialSchedule.linear(a.num("init_value"), a.num("end_value"),
                        a.integer("transition_steps"), a.integer("transition_begin", 0));
            }
            case "warmup_constant_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "peak_value", "warmup_steps"));
                yield PolynomialSchedule.warmupConstant(a.num("init_value"), a.num("peak_value"),
                        a.integer("warmup_steps"));
            }
            case "piecewise_constant_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "boundaries_and_scales"));
                TreeMap<Long, Double> bs = new TreeMap<>();
                if (a.raw("boundaries_and_scales") instanceof Map<?, ?> m) {
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        bs.put(Long.parseLong(String.valueOf(e.getKey()).trim()), (Double) e.getValue());
                    }
                }
                yield new PiecewiseConstantSchedule(a.num("init_value"), bs);
            }
            case "exponential_decay" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "transition_steps", "decay_rate",
                        "transition_begin", "staircase", "end_value"));
                yield new ExponentialDecay(a.num("init_value"), a.integer("transition_steps"), a.num("decay_rate"),
                        a.integer("transition_begin", 0), a.bool("staircase", false),
                        a.has("end_value") ? a.num("end_value") : null);
            }
            case "cosine_decay_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "decay_steps", "alpha",
                        "exponent"));
                yield new CosineDecaySchedule(a.num("init_value"), a.integer("decay_steps"), a.num("alpha", 0.0),
                        a.num("exponent", 1.0));
            }
            case "warmup_cosine_decay_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("init_value", "peak_value", "warmup_steps",
                        "decay_steps", "end_value", "exponent"));
                yield CosineDecaySchedule.warmupCosine(a.num("init_value"), a.num("peak_value"),
                        a.integer("warmup_steps"), a.integer("decay_steps"), a.num("end_value", 0.0),
                        a.num("exponent", 1.0));
            }
            case "cosine_onecycle_schedule" -> {
                ScheduleArgs a = new ScheduleArgs(fn, hyper, Set.of("transition_steps", "peak_value", "pct_start",
                        "div_factor", "final_div_factor"));
                yield new CosineOnecycleSchedule(a.integer("transition_steps"), a.num("peak_value"),
                        a.num("pct_start", 0.3), a.num("div_factor", 25.0), a.num("final_div_factor", 1e4));
            }
            default -> throw new UnsupportedOperationException("Optax schedule '" + fn + "' is not implemented");
        };
    }
}
