package dev.tiller.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The split rules of a user's corpus: both splits usable wherever the text allows it. */
class TextCorpusTest {
    @Test
    void aFileSplitsBetweenLinesNearNinetyPercent(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("a.txt"), "0123456789\n".repeat(100));
        TextCorpus c = TextCorpus.fromPath(f);
        assertEquals(1100, c.train().length + c.validation().length + 1, "the newline at the cut is dropped");
        assertEquals('9', c.train()[c.train().length - 1], "training ends on a whole line");
        assertEquals('0', c.validation()[0], "validation starts on a line");
    }

    @Test
    void aFileWithNoNewlineSplitsAtNinetyPercent(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("one-line"), "x".repeat(1000).getBytes(StandardCharsets.UTF_8));
        TextCorpus c = TextCorpus.fromPath(f);
        assertEquals(900, c.train().length);
        assertEquals(100, c.validation().length);
    }

    @Test
    void aFolderOfOneFileSplitsLikeTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("only.txt"), "abcdefghi\n".repeat(50));
        TextCorpus c = TextCorpus.fromPath(dir);
        assertTrue(c.train().length > 400 && c.validation().length > 30, c.train().length + " / "
                + c.validation().length);
    }

    @Test
    void anUnreadableOrMissingCorpusIsNamed(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextCorpus.fromPath(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("no such file or folder"),
                e.getMessage());
    }
}
