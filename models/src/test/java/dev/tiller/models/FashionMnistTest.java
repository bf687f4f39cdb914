package dev.tiller.models;

import dev.tiller.models.data.ImageDataset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IDX loader on the real Fashion-MNIST files of the Debian package (installed by ./tiller test). */
class FashionMnistTest {
    @Test
    void bothSplitsLoadWithTheirPublishedSizesAndBalancedLabels() {
        Assumptions.assumeTrue(Files.isDirectory(ImageDataset.FASHION_MNIST),
                "Fashion-MNIST not installed in " + ImageDataset.FASHION_MNIST + " (scripts/install-datasets.sh)");
        ImageDataset train = ImageDataset.fashionMnist(true);
        ImageDataset test = ImageDataset.fashionMnist(false);
        assertEquals(60_000, train.size());
        assertEquals(10_000, test.size());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        int[] counts = new int[10];
        for (int y : test.labels()) {
            counts[y]++;
        }
        for (int c : counts) {
            assertEquals(1000, c);      // the test split has exactly 1000 images per class
        }
        float max = 0;
        for (int i = 0; i < 784 * 100; i++) {
            max = Math.max(max, train.images()[i]);
        }
        assertTrue(max > 0.9f && max <= 1f, "pixels scaled to [0, 1], max " + max);
    }
}
