package dev.tiller.models.data;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Labelled images (N, C, H, W) as float32 in [0, 1] (or normalised), with integer labels, held in memory.
 * Batches follow a permutation of the examples keyed by (seed, epoch), so the order is reproducible and the data
 * position is (epoch, index).
 */
public record ImageDataset(String name, float[] images, int[] labels, int channels, int height, int width,
                           int classes) {
    /** Where the Debian package dataset-fashion-mnist installs its files. */
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    public int size() {
        return labels.length;
    }

    /**
     * IDX images and labels from a folder holding {prefix}-images-idx3-ubyte[.gz] and {prefix}-labels-idx1-ubyte[.gz]
     * (prefix "train" or "t10k", as MNIST and Fashion-MNIST); pixels scaled to [0, 1].
     */
    public static ImageDataset idx(String name, Path folder, String prefix, int classes) {
        Path images = pick(folder, prefix + "-images-idx3-ubyte");
        Path labels = pick(folder, prefix + "-labels-idx1-ubyte");
        Idx.Array im = Idx.read(images);
        Idx.Array lb = Idx.read(labels);
        if (im.dims().length != 3 || lb.dims().length != 1 || im.dims()[0] != lb.dims()[0]) {
            throw new IllegalArgumentException(name + ": images " + Arrays.toString(im.dims())
                    + " and labels " + Arrays.toString(lb.dims()) + " do not match (expected (N, H, W) and"
                    + " (N))");
        }
        float[] px = im.values();
        for (int i = 0; i < px.length; i++) {
            px[i] /= 255f;
        }
        int[] y = new int[lb.values().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (int) lb.values()[i];
            if (y[i] < 0 || y[i] >= classes) {
                throw new IllegalArgumentException(name + ": label " + y[i] + " at " + i + " outside [0, " + classes
                        + ")");
            }
        }
        return new ImageDataset(name, px, y, 1, im.dims()[1], im.dims()[2], classes);
    }

    /** Fashion-MNIST's train (60000) or test (10000) split from the Debian package's folder. */
    public static ImageDataset fashionMnist(boolean train) {
        if (!Files.isDirectory(FASHION_MNIST)) {
            throw new IllegalStateException("Fashion-MNIST is not installed: expected " + FASHION_MNIST
                    + "; install it with 'scripts/install-datasets.sh' (Debian package dataset-fashion-mnist), or"
                    + " point --data at a folder of IDX files");
        }
        return idx("fashion-mnist", FASHION_MNIST, train ? "train" : "t10k", 10);
    }

    private static Path pick(Path folder, String base) {
        Path plain = folder.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = folder.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new IllegalArgumentException("no " + base + "[.gz] in " + folder);
    }

    /** The examples at positions [from, to) of the epoch's permutation, as (B, C, H, W) and (B). */
    public Batch batch(long seed, int epoch, int from, int to) {
        int b = to - from;
        int per = channels * height * width;
        float[] x = new float[b * per];
        int[] y = new int[b];
        for (int i = 0; i < b; i++) {
            int idx = permuted(seed, epoch, from + i);
            System.arraycopy(images, idx * per, x, i * per, per);
            y[i] = labels[idx];
        }
        return new Batch(Tensor.of(x, b, channels, height, width), Tensor.ofInts(y, b));
    }

    /**
     * Batch k of B examples in the endless walk through the (seed, epoch) permutations: epoch k / (N / B), positions
     * from (k % (N / B)) * B; the last N % B examples of each permutation are skipped. A pure function of
     * (seed, B, k), so the data position of a run is k.
     */
    public Batch nthBatch(long seed, int batch, long k) {
        if (batch < 1 || batch > size()) {
            throw new IllegalArgumentException(name + ": batch " + batch + " must be in [1, " + size()
                    + "] (the number of examples)");
        }
        int perEpoch = size() / batch;
        int epoch = Math.toIntExact(k / perEpoch);
        int from = (int) (k % perEpoch) * batch;
        return batch(seed, epoch, from, from + batch);
    }

    /**
     * The examples whose label is in keep, in file order, as a dataset of the same shape and class count (so a model
     * keeps all its outputs); named name[c0,c1,...].
     */
    public ImageDataset withClasses(int... keep) {
        boolean[] wanted = new boolean[classes];
        for (int c : keep) {
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException(name + ": unknown class " + c + "; classes are 0.." + (classes - 1));
            }
            wanted[c] = true;
        }
        int per = channels * height * width;
        int n = 0;
        for (int y : labels) {
            n += wanted[y] ? 1 : 0;
        }
        float[] x = new float[n * per];
        int[] y = new int[n];
        int j = 0;
        for (int i = 0; i < labels.length; i++) {
            if (wanted[labels[i]]) {
                System.arraycopy(images, i * per, x, j * per, per);
                y[j++] = labels[i];
            }
        }
        return new ImageDataset(name + Arrays.toString(keep).replace(" ", ""), x, y, channels, height, width,
                classes);
    }

    /** A batch of inputs (B, C, H, W) and labels (B). */
    public record Batch(Tensor inputs, Tensor labels) {}

    /** Position i of the (seed, epoch) permutation of the examples. */
    private int permuted(long seed, int epoch, int i) {
        return Permutations.of(size(), seed, epoch)[i];
    }

    /** The examples [from, to) in file order (for evaluation). */
    public Batch slice(int from, int to) {
        int b = to - from;
        int per = channels * height * width;
        float[] x = new float[b * per];
        System.arraycopy(images, from * per, x, 0, b * per);
        return new Batch(Tensor.of(x, b, channels, height, width), Tensor.ofInts(Arrays.copyOfRange(
                labels, from, to), b));
    }

    /** Deterministic Fisher-Yates permutations keyed by (seed, epoch), cached per size. */
    static final class Permutations {
        private static final Map<String, int[]> CACHE = new ConcurrentHashMap<>();

        static int[] of(int n, long seed, int epoch) {
            if (CACHE.size() > 8) {
                CACHE.clear();     // a run touches one or two epochs at a time
            }
            return CACHE.computeIfAbsent(n + "/" + seed + "/" + epoch, k -> {
                int[] p = new int[n];
                for (int i = 0; i < n; i++) {
                    p[i] = i;
                }
                for (int i = n - 1; i > 0; i--) {
                    int j = Philox.below(seed, 0xDA7A0000L + epoch, i, i + 1);
                    int t = p[i];
                    p[i] = p[j];
                    p[j] = t;
                }
                return p;
            });
        }
    }
}
