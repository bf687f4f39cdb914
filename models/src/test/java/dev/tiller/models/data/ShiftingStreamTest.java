package dev.tiller.models.data;

import dev.tiller.models.data.ShiftingStream.ImagePhase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Phase arithmetic, class subsets against a direct filter of the labels, src.zip folders, and the input errors. */
class ShiftingStreamTest {
    private static final Path SRC_ZIP = Path.of(System.getProperty("java.home"), "lib", "src.zip");
    private static final String NO_SRC_ZIP = "this JDK has no " + SRC_ZIP + ": the JDK-source corpora need one"
            + " (Temurin ships it; Debian's OpenJDK has it in openjdk-NN-source)";

    @Test
    void phaseAtFollowsTheShiftSteps() {
        ShiftingStream<String> s = ShiftingStream.of("abc", List.of("a", "b", "c"), d -> Map.of("name", d), 10, 25);
        assertEquals(3, s.phases());
        assertArrayEquals(new long[] {10, 25}, s.shiftSteps());
        long[] steps = {0, 9, 10, 24, 25, 1L << 40};
        int[] phases = {0, 0, 1, 1, 2, 2};
        for (int i = 0; i < steps.length; i++) {
            assertEquals(phases[i], s.phaseAt(steps[i]), "step " + steps[i]);
        }
        assertEquals("b", s.at(12));
        assertEquals(2, s.stepInPhase(12));
        assertEquals(0, s.stepInPhase(25));
        assertEquals(Map.of("phase", 1, "from_step", 10L, "name", "b"), s.describe(1));
        ShiftingStream<String> one = ShiftingStream.single("one", "x");
        assertEquals(0, one.phaseAt(1L << 50));
        assertEquals(0, one.shiftSteps().length);
        assertEquals(7L, ShiftingStream.phaseSeed(7, 0), "phase 0 draws what the unshifted data draws");
        assertTrue(ShiftingStream.phaseSeed(7, 1) != ShiftingStream.phaseSeed(7, 2));
    }

    @Test
    void classSubsetsHoldExactlyTheirClassesInFileOrder() {
        ImageDataset train = Shapes.make(1, 0, 300, 8);
        ImageDataset val = Shapes.make(1, 1 << 20, 100, 8);
        ShiftingStream<ImagePhase> s = ShiftingStream.classSubsets("shapes-shift", train, val,
                List.of(new int[] {0, 1}, new int[] {2, 3}), 5);
        int per = 8 * 8;
        for (int p = 0; p < 2; p++) {
            for (ImageDataset[] pair : new ImageDataset[][] {{train, s.phase(p).train()}, {val, s.phase(p).val()}}) {
                // independent filter: walk the full set and keep labels in {2p, 2p + 1}
                int j = 0;
                for (int i = 0; i < pair[0].size(); i++) {
                    int y = pair[0].labels()[i];
                    if (y / 2 == p) {
                        assertEquals(y, pair[1].labels()[j]);
                        assertArrayEquals(Arrays.copyOfRange(pair[0].images(), i * per, (i + 1) * per),
                                Arrays.copyOfRange(pair[1].images(), j * per, (j + 1) * per));
                        j++;
                    }
                }
                assertEquals(j, pair[1].size());
                assertEquals(Shapes.CLASSES, pair[1].classes(), "the model keeps every output");
            }
        }
        assertArrayEquals(new int[] {2, 3}, (int[]) s.describe(1).get("classes"));
        assertEquals(5L, s.describe(1).get("from_step"));
    }

    @Test
    void imagePhaseBatchesAreDeterministicAndStayInTheirClasses() {
        ImageDataset sub = Shapes.make(2, 0, 200, 8).withClasses(1, 3);
        for (long k = 0; k < 20; k++) {            // crosses several epochs
            ImageDataset.Batch a = sub.nthBatch(5, 16, k);
            ImageDataset.Batch b = sub.nthBatch(5, 16, k);
            assertArrayEquals(a.inputs().toFloatArray(), b.inputs().toFloatArray());
            int[] y = a.labels().toIntArray();
            assertArrayEquals(y, b.labels().toIntArray());
            for (int label : y) {
                assertTrue(label == 1 || label == 3, "label " + label + " at k " + k);
            }
        }
    }

    @Test
    void jdkModulesReadTheNamedSourceFolders() {
        Assumptions.assumeTrue(Files.isRegularFile(SRC_ZIP), NO_SRC_ZIP);
        ShiftingStream<TextCorpus> s = ShiftingStream.jdkModules("jdk-shift-test",
                List.of("java.base/java/util/function", "java.sql/"), 100);
        assertEquals("java.base/java/util/function/", s.phase(0).name(), "a trailing '/' is added");
        String before = new String(s.phase(0).train(), StandardCharsets.ISO_8859_1);
        String after = new String(s.phase(1).train(), StandardCharsets.ISO_8859_1);
        assertTrue(before.contains("package java.util.function;") && !before.contains("package java.sql;"));
        assertTrue(after.contains("package java.sql;") && !after.contains("package java.util.function;"));
        assertEquals("java.sql/", s.describe(1).get("module"));
        assertEquals(100L, s.describe(1).get("from_step"));
    }

    @Test
    void badInputIsNamed() {
        List<String> two = List.of("a", "b");
        String m = assertThrows(IllegalArgumentException.class,
                () -> ShiftingStream.of("s", two, d -> Map.of(), -3)).getMessage();
        assertTrue(m.contains("shift step -3 (phase 1) is negative"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> ShiftingStream.of("s", List.of("a", "b", "c"), d -> Map.of(), 50, 50)).getMessage();
        assertTrue(m.contains("shift steps must increase, got 50 (phase 2) after 50"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> ShiftingStream.of("s", two, d -> Map.of())).getMessage();
        assertTrue(m.contains("2 phases need 1 shift steps, got 0"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> ShiftingStream.single("s", "a").phaseAt(-1)).getMessage();
        assertTrue(m.contains("step -1 is negative"), m);

        ImageDataset train = Shapes.make(1, 0, 64, 8);
        ImageDataset val = Shapes.make(1, 1 << 20, 32, 8);
        m = assertThrows(IllegalArgumentException.class, () -> ShiftingStream.classSubsets("img", train, val,
                List.of(new int[] {0}, new int[] {}), 5)).getMessage();
        assertTrue(m.contains("img, phase 1: the class set is empty"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ShiftingStream.classSubsets("img", train, val,
                List.of(new int[] {0, 7}, new int[] {1}), 5)).getMessage();
        assertTrue(m.contains("img, phase 0: unknown class 7; shapes") && m.contains("classes 0..3"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ShiftingStream.classSubsets("img", train, val,
                List.of(new int[] {2, 2}, new int[] {1}), 5)).getMessage();
        assertTrue(m.contains("class 2 is listed twice"), m);

        Assumptions.assumeTrue(Files.isRegularFile(SRC_ZIP), NO_SRC_ZIP);
        m = assertThrows(IllegalStateException.class, () -> ShiftingStream.jdkModules("txt",
                List.of("java.base/java/util/function/", "java.nosuch/"), 5)).getMessage();
        assertTrue(m.contains("txt, phase 1 (java.nosuch/)") && m.contains("no .java files under java.nosuch/"), m);
        assertFalse(m.isBlank());
    }
}
