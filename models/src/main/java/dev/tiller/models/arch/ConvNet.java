package dev.tiller.models.arch;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Conv2d;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Linear;
import dev.tiller.models.nn.Module;

/**
 * The convnet of docs/workloads.md: three [conv3x3 pad 1 -> ReLU -> maxpool 2] stages with 32, 64, 128 channels (times
 * the width multiplier), flatten, linear 256 -> ReLU -> linear classes. x (N, C, H, W); for 3x32x32 the flattened size
 * is 2048, for Fashion-MNIST's 1x28x28 it is 128 * 3 * 3.
 */
public final class ConvNet extends Module {
    private final Conv2d c1;
    private final Conv2d c2;
    private final Conv2d c3;
    private final Linear f1;
    private final Linear f2;

    public ConvNet(Init init, int channels, int height, int width, int classes, double widthMultiplier) {
        int a = Math.max(1, (int) Math.round(32 * widthMultiplier));
        int b = Math.max(1, (int) Math.round(64 * widthMultiplier));
        int c = Math.max(1, (int) Math.round(128 * widthMultiplier));
        this.c1 = child("c1", new Conv2d(init, channels, a, 3, 1, 1, 1, true));
        this.c2 = child("c2", new Conv2d(init, a, b, 3, 1, 1, 1, true));
        this.c3 = child("c3", new Conv2d(init, b, c, 3, 1, 1, 1, true));
        int h = height / 2 / 2 / 2;
        int w = width / 2 / 2 / 2;
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("ConvNet: input " + height + "x" + width + " is too small for three"
                    + " 2x2 poolings (needs at least 8x8)");
        }
        int hidden = Math.max(1, (int) Math.round(256 * widthMultiplier));
        this.f1 = child("f1", new Linear(init, c * h * w, hidden, true));
        this.f2 = child("f2", new Linear(init, hidden, classes, true));
    }

    public Variable forward(Variable x) {
        for (Conv2d conv : new Conv2d[] {c1, c2, c3}) {
            x = F.maxPool2d(F.relu(conv.forward(x)), 2);
        }
        return f2.forward(F.relu(f1.forward(F.reshape(x, x.shape()[0], -1))));
    }
}
