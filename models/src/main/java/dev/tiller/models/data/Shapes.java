package dev.tiller.models.data;

import dev.tiller.tensor.Philox;

/**
 * Procedural images that need nothing installed: grey-scale size x size pictures of one of four shapes (0 disc,
 * 1 square, 2 triangle, 3 cross) at a random position and scale, with pixel noise. Example i is a pure function of
 * (seed, i), so the dataset is reproducible and unbounded.
 */
public final class Shapes {
    public static final int CLASSES = 4;

    private Shapes() {}

    /** n examples starting at example number first. */
    public static ImageDataset make(long seed, int first, int n, int size) {
        float[] x = new float[n * size * size];
        int[] y = new int[n];
        for (int e = 0; e < n; e++) {
            long id = (long) first + e;
            int cls = Philox.below(seed, 0x5AA0, id, CLASSES);
            y[e] = cls;
            float r = size * (0.18f + 0.15f * Philox.uniform(seed, 0x5AA1, id));
            float cx = r + (size - 2 * r) * Philox.uniform(seed, 0x5AA2, id);
            float cy = r + (size - 2 * r) * Philox.uniform(seed, 0x5AA3, id);
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    float dx = (j + 0.5f - cx) / r;
                    float dy = (i + 0.5f - cy) / r;
                    boolean in = switch (cls) {
                        case 0 -> dx * dx + dy * dy <= 1f;
                        case 1 -> Math.abs(dx) <= 0.8f && Math.abs(dy) <= 0.8f;
                        case 2 -> dy <= 0.9f && dy >= -0.9f && Math.abs(dx) <= (dy + 0.9f) / 1.8f;
                        default -> (Math.abs(dx) <= 0.25f || Math.abs(dy) <= 0.25f) && Math.abs(dx) <= 1f
                                && Math.abs(dy) <= 1f;
                    };
                    float noise = 0.1f * Philox.normal(seed, 0x5AA4, id * size * size + (long) i * size + j);
                    x[e * size * size + i * size + j] = (in ? 1f : 0f) + noise;
                }
            }
        }
        return new ImageDataset("shapes", x, y, 1, size, size, CLASSES);
    }
}
