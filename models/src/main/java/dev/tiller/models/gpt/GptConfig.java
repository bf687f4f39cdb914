package dev.tiller.models.gpt;

/**
 * A decoder-only transformer's shape: vocab V, context T, width C, depth (blocks), heads H (C divisible by H),
 * dropout probability. {@link #reference()} is the gpt workload's model (V 256, T 128, C 256, 4 blocks, 4 heads).
 * Width and depth multipliers give the family for scale studies.
 */
public record GptConfig(int vocab, int context, int width, int depth, int heads, float dropout) {
    public GptConfig {
        if (vocab < 1 || context < 1 || width < 1 || depth < 0 || heads < 1) {
            throw new IllegalArgumentException("GptConfig: sizes must be positive, got vocab " + vocab + ", context "
                    + context + ", width " + width + ", depth " + depth + ", heads " + heads);
        }
        if (width % heads != 0) {
            throw new IllegalArgumentException("GptConfig: width " + width + " must be divisible by heads " + heads
                    + "; hint: heads of size 64 or 32 are usual");
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("GptConfig: dropout must be in [0, 1), got " + dropout);
        }
    }

    /** The reference model of docs/workloads.md: byte vocab, context 128, width 256, 4 layers, 4 heads, no dropout. */
    public static GptConfig reference() {
        return new GptConfig(256, 128, 256, 4, 4, 0f);
    }

    /** This shape with width and depth scaled (heads scale with width, keeping the head size). */
    public GptConfig scaled(double widthMultiplier, double depthMultiplier) {
        int hs = width / heads;
        int h = Math.max(1, (int) Math.round(heads * widthMultiplier));
        return new GptConfig(vocab, context, h * hs, Math.max(1, (int) Math.round(depth * depthMultiplier)), h,
                dropout);
    }
}
