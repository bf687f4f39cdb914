package dev.tiller.models.arch;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.BatchNorm2d;
import dev.tiller.models.nn.Conv2d;
import dev.tiller.models.nn.Init;
import dev.tiller.models.nn.Linear;
import dev.tiller.models.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * A small CIFAR-style ResNet (He et al. 2016): conv3x3 stem with BatchNorm, three stages of basic blocks with
 * 16, 32, 64 channels (times width), stride 2 entering stages 2 and 3 with a 1x1 conv + BatchNorm shortcut,
 * global average pooling, linear classifier. blocksPerStage sets the depth (ResNet-20 has 3).
 */
public final class ResNet extends Module {
    private final Conv2d stem;
    private final BatchNorm2d stemBn;
    private final List<BasicBlock> blocks = new ArrayList<>();
    private final Linear fc;

    public ResNet(Init init, int channels, int classes, double width, int blocksPerStage) {
        int[] widths = {16, 32, 64};
        int c0 = Math.max(1, (int) Math.round(widths[0] * width));
        this.stem = child("stem", new Conv2d(init, channels, c0, 3, 1, 1, 1, false));
        this.stemBn = child("stem_bn", new BatchNorm2d(init, c0));
        int prev = c0;
        for (int s = 0; s < 3; s++) {
            int c = Math.max(1, (int) Math.round(widths[s] * width));
            for (int b = 0; b < blocksPerStage; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                blocks.add(child("stages." + s + "." + b, new BasicBlock(init, prev, c, stride)));
                prev = c;
            }
        }
        this.fc = child("fc", new Linear(init, prev, classes, true));
    }

    public Variable forward(Variable x) {
        Variable h = F.relu(stemBn.forward(stem.forward(x)));
        for (BasicBlock b : blocks) {
            h = b.forward(h);
        }
        int[] s = h.shape();
        h = F.reshape(F.adaptiveAvgPool2d(h, 1, 1), s[0], s[1]);
        return fc.forward(h);
    }

    /** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
    static final class BasicBlock extends Module {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Conv2d down;
        private final BatchNorm2d downBn;

        BasicBlock(Init init, int cin, int cout, int stride) {
            this.conv1 = child("conv1", new Conv2d(init, cin, cout, 3, stride, 1, 1, false));
            this.bn1 = child("bn1", new BatchNorm2d(init, cout));
            this.conv2 = child("conv2", new Conv2d(init, cout, cout, 3, 1, 1, 1, false));
            this.bn2 = child("bn2", new BatchNorm2d(init, cout));
            if (stride != 1 || cin != cout) {
                this.down = child("down", new Conv2d(init, cin, cout, 1, stride, 0, 1, false));
                this.downBn = child("down_bn", new BatchNorm2d(init, cout));
            } else {
                this.down = null;
                this.downBn = null;
            }
        }

        Variable forward(Variable x) {
            Variable h = F.relu(bn1.forward(conv1.forward(x)));
            h = bn2.forward(conv2.forward(h));
            Variable shortcut = down == null ? x : downBn.forward(down.forward(x));
            return F.relu(F.add(h, shortcut));
        }
    }
}
