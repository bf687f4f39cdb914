package dev.tiller.conform;

import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One dynamic test per case of a shipped reference file, named kind/name so the test report lists every case.
 * A missing or truncated file fails the factory; a case passes only with status PASS (a SKIP is a failure).
 */
public final class ShippedCases {
    private ShippedCases() {}

    /** The cases of the shipped file, checked by checker; expectedCount guards against a file that lost cases. */
    public static List<DynamicTest> everyCase(String file, int expectedCount, CaseChecker checker) throws IOException {
        List<GoldenCase> cases = GoldenFile.shipped(file);
        assertEquals(expectedCount, cases.size(), file + ": number of cases");
        return cases.stream()
                .map(c -> DynamicTest.dynamicTest(Conform.label(c), () -> {
                    CaseResult r = checker.check(c);
                    assertEquals(CaseResult.Status.PASS, r.status(), file + " " + Conform.label(c) + ": " + r.detail());
                }))
                .toList();
    }
}
