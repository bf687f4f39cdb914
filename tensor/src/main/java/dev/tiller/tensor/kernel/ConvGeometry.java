package dev.tiller.tensor.kernel;

/**
 * The sizes of one 2-D convolution, validated by the op layer (dev.tiller.tensor.op.Conv) and trusted by the
 * kernels: x: (N, Cin, H, W), w: (Cout, Cin/groups, kH, kW), out: (N, Cout, outH, outW), all row-major.
 * Output size (PyTorch's formula, zero padding): outH = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, likewise outW.
 *
 * @param n      batch size N
 * @param cin    input channels Cin
 * @param h      input height H
 * @param w      input width W
 * @param cout   output channels Cout
 * @param kH     kernel height
 * @param kW     kernel width
 * @param sH     vertical stride (>= 1)
 * @param sW     horizontal stride (>= 1)
 * @param pH     top and bottom zero padding (>= 0)
 * @param pW     left and right zero padding (>= 0)
 * @param dH     vertical dilation (>= 1)
 * @param dW     horizontal dilation (>= 1)
 * @param groups channel groups; Cin and Cout are multiples of it
 * @param outH   output height
 * @param outW   output width
 */
public record ConvGeometry(int n, int cin, int h, int w, int cout, int kH, int kW, int sH, int sW, int pH, int pW,
                           int dH, int dW, int groups, int outH, int outW) {

    /** The geometry for the given sizes, with outH and outW from PyTorch's formula (may be <= 0: caller checks). */
    public static ConvGeometry of(int n, int cin, int h, int w, int cout, int kH, int kW, int sH, int sW, int pH,
                                  int pW, int dH, int dW, int groups) {
        int outH = Math.floorDiv(h + 2 * pH - dH * (kH - 1) - 1, sH) + 1;
        int outW = Math.floorDiv(w + 2 * pW - dW * (kW - 1) - 1, sW) + 1;
        return new ConvGeometry(n, cin, h, w, cout, kH, kW, sH, sW, pH, pW, dH, dW, groups, outH, outW);
    }

    /** Input channels per group, Cin / groups. */
    public int cinG() {
        return cin / groups;
    }

    /** Output channels per group, Cout / groups. */
    public int coutG() {
        return cout / groups;
    }

    /** Rows of one group's im2col matrix: (Cin / groups) kH kW, the GEMM reduction length of the forward pass. */
    public int colRows() {
        return cinG() * kH * kW;
    }

    /** Columns of an im2col matrix: outH outW. */
    public int colCols() {
        return outH * outW;
    }

    /** True when the im2col matrix of a group is the input itself (1x1 kernel, stride 1, no padding). */
    public boolean colIsInput() {
        return kH == 1 && kW == 1 && sH == 1 && sW == 1 && pH == 0 && pW == 0;
    }
}
