package dev.tiller.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java snippet (its first java code block, a compact source file) compiles against the public API. */
class ReadmeSnippetTest {
    @Test
    void theReadmeSnippetCompiles(@TempDir Path dir) throws IOException {
        String readme = Files.readString(Path.of("../README.md").toAbsolutePath().normalize());
        int start = readme.indexOf("```java\n");
        assertTrue(start >= 0, "README.md has no ```java block");
        start += "```java\n".length();
        int end = readme.indexOf("```", start);
        assertTrue(end > start, "README.md's ```java block is not closed");
        Path src = dir.resolve("Train.java");
        Files.writeString(src, readme.substring(start, end));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "-d", dir.resolve("classes").toString(),
                "-cp", System.getProperty("java.class.path"), "--add-modules", "jdk.incubator.vector", src.toString());
        assertEquals(0, rc, "the README snippet no longer compiles:\n" + diag.toString(StandardCharsets.UTF_8));
    }
}
