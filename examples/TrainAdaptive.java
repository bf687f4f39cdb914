import dev.tiller.models.arch.Mlp;
import dev.tiller.models.data.ImageDataset;
import dev.tiller.models.data.Shapes;
import dev.tiller.models.nn.Activation;
import dev.tiller.models.nn.Init;
import dev.tiller.optim.AdamW;
import dev.tiller.optim.AdamWHyper;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.clip.GlobalNormClip;
import dev.tiller.optim.schedule.CosineAnnealingLr;
import dev.tiller.optim.schedule.LinearLr;
import dev.tiller.optim.schedule.Schedule;
import dev.tiller.policy.KnobBinding;
import dev.tiller.policy.RunLog;
import dev.tiller.policy.Trainer;
import dev.tiller.policy.regime.Explain;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Replay;
import dev.tiller.policy.task.ImageTask;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Trains an MLP on procedural shapes under the adaptive regime, from Java: the recipe (AdamW, warm-up + cosine, clip
 * 1.0) is the schedule the regime's knobs scale; the run folder gets metrics.jsonl, events.jsonl (every decision with
 * its reason) and config.json. Then the run's decisions are replayed and explained. Arguments: the run folder and the
 * number of steps (default runs/example-adaptive, 300).
 */
public final class TrainAdaptive {
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/example-adaptive");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        ImageDataset train = Shapes.make(1, 0, 2048, 16);
        ImageDataset val = Shapes.make(1, 1 << 20, 512, 16);
        Mlp model = new Mlp(new Init(1), 16 * 16, new int[] {128, 128}, Shapes.CLASSES, Activation.RELU);
        ImageTask task = new ImageTask("mlp-shapes", train, val, model, model::forward, 64, 1);

        List<ParamRef> params = Trainer.paramRefs(task);
        AdamW opt = new AdamW(params);
        AdamWHyper hyper = AdamWHyper.defaults();
        Schedule lr = Schedule.sequence(List.of(new LinearLr(3e-3, 0.1, 1.0, 20),
                new CosineAnnealingLr(3e-3, steps - 20, 3e-4)), 20);
        RegimeSpec regime = RegimeSpec.preset("adaptive");
        Trainer<AdamWHyper> trainer = new Trainer<>(task, opt, params, t -> hyper.withLr((float) lr.at(t)),
                KnobBinding.adamW(), GlobalNormClip.l2(1f), new Trainer.Settings(steps, 1, 50))
                .regime(regime);

        Trainer.Summary s;
        try (RunLog log = new RunLog(dir, Map.of("example", "TrainAdaptive", "regime", regime.toJson()))) {
            s = trainer.run(log, null);
        }
        System.out.printf("final val_loss %.4f, val_accuracy %.3f%n", s.finalEval().get("val_loss"),
                s.finalEval().get("val_accuracy"));
        System.out.print(Explain.run(dir));
        System.out.println("replay: " + Replay.run(dir).summary());
    }
}
