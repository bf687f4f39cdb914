package dev.tiller.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Prints one console line for each test that did not run (a failed assumption, such as a missing dataset, or a
 * disabled test) with its reason: Surefire keeps test output in files, and its console summary counts skipped
 * tests without saying why. The root pom adds this folder to every module's tests and turns on Jupiter's extension
 * autodetection, which loads it through META-INF/services.
 */
public final class SkipReporter implements TestWatcher {
    /** The fork's own stderr: Surefire captures System.err into the report files but echoes this to the console. */
    private static final PrintStream CONSOLE =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        report(context, cause == null || cause.getMessage() == null ? "aborted" : cause.getMessage());
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        report(context, reason.orElse("disabled"));
    }

    private static void report(ExtensionContext context, String reason) {
        String test = context.getTestClass().map(Class::getSimpleName).orElse("?")
                + context.getTestMethod().map(m -> "." + m.getName()).orElse("");
        CONSOLE.println("SKIPPED " + test + ": " + reason.lines().findFirst().orElse(""));
    }
}
