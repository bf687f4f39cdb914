package dev.tiller.models.nn;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;

/**
 * 2-D convolution, (N, Cin, H, W) -> (N, Cout, Hout, Wout); nn.Conv2d's init: weight and bias
 * ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = Cin/groups * kH * kW.
 */
public final class Conv2d extends Module {
    private final Variable weight;   // (Cout, Cin/groups, k, k)
    private final Variable bias;     // (Cout) or null
    private final int stride;
    private final int padding;
    private final int groups;

    public Conv2d(Init init, int cin, int cout, int kernel, int stride, int padding, int groups, boolean bias) {
        if (cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException("Conv2d: groups " + groups + " must divide cin " + cin + " and cout "
                    + cout);
        }
        float bound = (float) (1.0 / Math.sqrt((double) cin / groups * kernel * kernel));
        this.weight = param("weight", init.uniform(bound, cout, cin / groups, kernel, kernel), true);
        this.bias = bias ? param("bias", init.uniform(bound, cout), false) : null;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
    }

    public Variable forward(Variable x) {
        return F.conv2d(x, weight, bias, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {1, 1},
                groups);
    }
}
