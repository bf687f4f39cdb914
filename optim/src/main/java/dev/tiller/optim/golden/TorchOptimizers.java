package dev.tiller.optim.golden;

import dev.tiller.optim.ParamGroup;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.Sgd;
import dev.tiller.optim.SgdHyper;
import dev.tiller.tensor.io.GoldenCase;

import java.util.List;
import java.util.Map;

/** Golden-case factories for optimizers named as PyTorch classes (torch.optim.*), with PyTorch's defaults. */
final class TorchOptimizers implements OptimizerFactory {
    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        switch (optimizer) {
            case "SGD": {
                SgdHyper h = new SgdHyper((float) c.number("hyper.lr", 1e-3), (float) c.number("hyper.momentum", 0),
                        (float) c.number("hyper.dampening", 0), (float) c.number("hyper.weight_decay", 0),
                        c.bool("hyper.nesterov", false), c.bool("hyper.maximize", false));
                Sgd sgd = new Sgd(List.of(ParamGroup.of("all", params)), Map.of(), null, 0);
                return () -> sgd.step(h);
            }
            default:
                return null;
        }
    }
}
