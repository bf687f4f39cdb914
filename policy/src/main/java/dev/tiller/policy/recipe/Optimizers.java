package dev.tiller.policy.recipe;

import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHd;
import dev.tiller.optim.AdamWHdHyper;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.Amsgrad;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Prodigy;
import dev.tiller.optim.ProdigyHyper;
import dev.tiller.optim.ScheduleFreeAdamW;
import dev.tiller.optim.ScheduleFreeAdamWHyper;
import dev.tiller.optim.StatePrecision;
import dev.tiller.optim.clip.GradClipper;
import dev.tiller.optim.schedule.Schedule;
import dev.tiller.policy.EvalPoint;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.UnaryOperator;

/**
 * The optimizer a {@link Recipe} names, built with everything a {@link Trainer} needs for it. Every optimizer gets
 * two parameter groups, "decay" (the model's matrices, the recipe's weight decay) and "no_decay" (weight decay 0),
 * from one record per step; the state precision applies to the moment estimates only (AdamW's and Prodigy's exp_avg
 * and exp_avg_sq, Schedule-Free's nu), since the other state holds points in weight space (Schedule-Free's z,
 * Prodigy's start point) or sums the step-size estimate depends on (Prodigy's grad_sum), kept float32 like the
 * weights. A new optimizer is one more case in {@link #build}.
 */
public final class Optimizers {
    private Optimizers() {}

    /**
     * One optimizer ready to train: the optimizer, how the regime's knobs reach its record, the record at each step
     * (the recipe's schedule applied), and where the run is evaluated.
     *
     * @param <H> the optimizer's hyperparameter record
     */
    public record Built<H extends Record>(Optimizer<H> optimizer, KnobBinding<H> binding, LongFunction<H> schedule,
                                          EvalPoint<H> evalPoint) {
        /** A trainer of task with this optimizer; the caller adds the regime, faults and the rest. */
        public Trainer<H> trainer(Task task, List<ParamRef> params, GradClipper clip, Trainer.Settings settings) {
            return new Trainer<>(task, optimizer, params, schedule, binding, clip, settings).evalPoint(evalPoint);
        }
    }

    /**
     * recipe's optimizer over decay and noDecay for a run of steps steps, its moment state at statePrecision and its
     * stochastic rounding seeded with seed:
     * <ul>
     * <li>adamw: AdamW (amsgrad off) at the recipe's values under the warm-up and cosine, evaluated as trained.</li>
     * <li>schedule-free-adamw: ScheduleFreeAdamW at the recipe's values and weight_lr_power; its record's own
     *     warm-up is 0 and the recipe's warmup-constant schedule sets lr each step instead (lr x (t + 1) / warmup,
     *     the reference's warm-up, so the logged lr is the lr in force); evaluated at x, the average the method
     *     returns, with the b1 of the last update.</li>
     * <li>prodigy: Prodigy with the recipe's lr factor under the warm-up and cosine, its options (beta3, d0, d_coef,
     *     safeguard_warmup, bias_correction), evaluated as trained.</li>
     * <li>adamw-hd: AdamWHd at the recipe's values and hypergrad_lr under the warm-up and constant schedule (the
     *     learned multiplier scales the scheduled lr), evaluated as trained.</li>
     * </ul>
     */
    public static Built<?> build(Recipe recipe, long steps, List<ParamRef> decay, List<ParamRef> noDecay,
                                 StatePrecision statePrecision, long seed) {
        Schedule lr = recipe.lrSchedule(steps);
        return switch (recipe.optimizer()) {
            case Recipe.ADAMW -> {
                AdamWHyper base = recipe.hyper();
                AdamW opt = new AdamW(groups(decay, noDecay, h -> h.withWeightDecay(0f)),
                        Map.of("exp_avg", statePrecision, "exp_avg_sq", statePrecision), null, seed,
                        Amsgrad.WITHOUT_MAX_STATE);
                yield new Built<>(opt, KnobBinding.adamW(), t -> base.withLr((float) lr.at(t)), EvalPoint.trained());
            }
            case Recipe.SCHEDULE_FREE_ADAMW -> {
                ScheduleFreeAdamWHyper base = new ScheduleFreeAdamWHyper((float) recipe.lr(), 0, (float) recipe.beta1(),
                        (float) recipe.beta2(), (float) recipe.eps(), (float) recipe.weightDecay(),
                        (float) recipe.option("weight_lr_power"));
                ScheduleFreeAdamW opt = new ScheduleFreeAdamW(groups(decay, noDecay, h -> h.withWeightDecay(0f)),
                        Map.of("nu", statePrecision), null, seed);
                List<ParamRef> all = new ArrayList<>(decay);
                all.addAll(noDecay);
                yield new Built<>(opt, KnobBinding.scheduleFreeAdamW(), t -> base.withLr((float) lr.at(t)),
                        scheduleFreeX(opt, all));
            }
            case Recipe.PRODIGY -> {
                ProdigyHyper base = new ProdigyHyper((float) recipe.lr(), (float) recipe.beta1(),
                        (float) recipe.beta2(), (float) recipe.option("beta3"), (float) recipe.eps(),
                        (float) recipe.option("d0"), (float) recipe.option("d_coef"), (float) recipe.weightDecay(),
                        recipe.flag("safeguard_warmup"), recipe.flag("bias_correction"));
                Prodigy opt = new Prodigy(groups(decay, noDecay, h -> h.withWeightDecay(0f)),
                        Map.of("exp_avg", statePrecision, "exp_avg_sq", statePrecision), null, seed);
                yield new Built<>(opt, KnobBinding.prodigy(), t -> base.withLr((float) lr.at(t)), EvalPoint.trained());
            }
            case Recipe.ADAMW_HD -> {
                AdamWHdHyper base = new AdamWHdHyper((float) recipe.lr(), (float) recipe.beta1(),
                        (float) recipe.beta2(), (float) recipe.eps(), (float) recipe.weightDecay(),
                        (float) recipe.option("hypergrad_lr"));
                AdamWHd opt = new AdamWHd(groups(decay, noDecay, h -> h.withWeightDecay(0f)),
                        Map.of("exp_avg", statePrecision, "exp_avg_sq", statePrecision), null, seed);
                yield new Built<>(opt, KnobBinding.adamWHd(), t -> base.withLr((float) lr.at(t)), EvalPoint.trained());
            }
            default -> throw new IllegalArgumentException("no optimizer '" + recipe.optimizer() + "'; optimizers are "
                    + String.join(", ", Recipe.OPTIMIZERS));
        };
    }

    private static <H extends Record> List<ParamGroup<H>> groups(List<ParamRef> decay, List<ParamRef> noDecay,
                                                                 UnaryOperator<H> noDecayOverride) {
        return List.of(ParamGroup.of("decay", decay), new ParamGroup<>("no_decay", noDecay, noDecayOverride));
    }

    /**
     * Schedule-Free's evaluation point x = (y - (1 - b1) z) / b1 (ScheduleFreeAdamW.evalParams) with the b1 of the
     * last update, written into the parameters over copies of y that the swap's close copies back (byte copies, so
     * y returns bit for bit). Before any update x = y = z, and nothing moves. The two buffers per parameter are
     * allocated at the first evaluation, outside any step pool, and reused.
     */
    private static EvalPoint<ScheduleFreeAdamWHyper> scheduleFreeX(ScheduleFreeAdamW opt, List<ParamRef> params) {
        Tensor[] saved = new Tensor[params.size()];
        Tensor[] x = new Tensor[params.size()];
        return last -> {
            if (last == null) {
                return () -> { };
            }
            for (int i = 0; i < params.size(); i++) {
                ParamRef p = params.get(i);
                if (saved[i] == null) {
                    saved[i] = Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape());
                    x[i] = Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape());
                }
                opt.evalParams(p, last.b1(), x[i]);
                saved[i].copyFrom(p.value());
                p.value().copyFrom(x[i]);
            }
            return () -> {
                for (int i = 0; i < params.size(); i++) {
                    params.get(i).value().copyFrom(saved[i]);
                }
            };
        };
    }
}
