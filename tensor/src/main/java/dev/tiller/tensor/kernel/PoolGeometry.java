package dev.tiller.tensor.kernel;

/**
 * The sizes of one 2-D pooling window sweep over (H, W) planes, validated by the op layer
 * (dev.tiller.tensor.op.Pool) and trusted by the kernels. Window (oh, ow) covers rows oh sH - pH + ki dH for
 * ki in [0, kH) and columns ow sW - pW + kj dW for kj in [0, kW); average pooling uses dilation 1.
 *
 * @param h    input height H
 * @param w    input width W
 * @param kH   window height
 * @param kW   window width
 * @param sH   vertical stride
 * @param sW   horizontal stride
 * @param pH   top and bottom padding
 * @param pW   left and right padding
 * @param dH   vertical dilation
 * @param dW   horizontal dilation
 * @param outH output height
 * @param outW output width
 */
public record PoolGeometry(int h, int w, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW,
                           int outH, int outW) {

    /**
     * PyTorch's pooling output size along one axis: floor((in + 2p - d (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1,
     * and with ceilMode one less when the last window would start at or past in + p (it must start inside the
     * input or the left padding).
     */
    public static int outputSize(int in, int k, int s, int p, int d, boolean ceilMode) {
        int out = Math.floorDiv(in + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0), s) + 1;
        if (ceilMode && (long) (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }
}
