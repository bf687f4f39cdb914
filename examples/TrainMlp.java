import dev.tiller.autograd.F;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
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

import java.util.ArrayList;
import java.util.List;

/**
 * Trains an MLP on procedural shapes through Tiller's public API: a model, an optimizer stepped with a
 * hyperparameter record each step, a warm-up + cosine schedule, and gradient clipping. Prints the test accuracy.
 * Compile and run it against the module jars (see the README), e.g. with the class path ./tiller prints.
 */
public final class TrainMlp {
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        ImageDataset train = Shapes.make(1, 0, 2048, 16);
        ImageDataset test = Shapes.make(1, 1 << 20, 512, 16);
        Mlp model = new Mlp(new Init(1), 16 * 16, new int[] {128, 128}, Shapes.CLASSES, Activation.RELU);

        List<ParamRef> params = new ArrayList<>();
        model.namedParameters().forEach((name, v) -> params.add(ParamRef.of(name, v)));
        AdamW opt = new AdamW(params);
        AdamWHyper hyper = AdamWHyper.defaults();
        Schedule lr = Schedule.sequence(List.of(new LinearLr(3e-3, 0.1, 1.0, 20),
                new CosineAnnealingLr(3e-3, steps - 20, 3e-4)), 20);
        GlobalNormClip clip = GlobalNormClip.l2(1f);

        for (int step = 0; step < steps; step++) {
            int epoch = step * 64 / train.size();
            int from = step * 64 % train.size();
            ImageDataset.Batch b = train.batch(1, epoch, from, from + 64);
            model.zeroGrad();
            Variable loss = F.crossEntropy(model.forward(Variable.constant(b.inputs())), b.labels());
            loss.backward();
            clip.clip(params);
            opt.step(hyper.withLr((float) lr.at(step)));      // hyperparameters are data, passed every step
            if (step % 50 == 0) {
                System.out.printf("step %d loss %.4f%n", step, loss.value().item());
            }
        }
        ImageDataset.Batch t = test.slice(0, test.size());
        float[] logits;
        try (GradMode.Scope s = GradMode.noGrad()) {
            logits = model.forward(Variable.constant(t.inputs())).value().toFloatArray();
        }
        int[] y = t.labels().toIntArray();
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int c = 1; c < Shapes.CLASSES; c++) {
                if (logits[i * Shapes.CLASSES + c] > logits[i * Shapes.CLASSES + best]) {
                    best = c;
                }
            }
            correct += best == y[i] ? 1 : 0;
        }
        System.out.printf("test accuracy %.3f%n", (double) correct / y.length);
    }
}
