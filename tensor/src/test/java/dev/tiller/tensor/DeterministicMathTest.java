package dev.tiller.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Determinism (same bits in every run and for every thread count): tensor's main sources must not use math whose
 * bits depend on the JIT tier (interpreter, C1, or C2 with its intrinsics), because worker threads warm up at
 * different times. Flags float reductions reduceLanes(ADD/MUL) (tree order when intrinsified, lane order otherwise),
 * lanewise transcendental operators (SVML versus Math per lane) and scalar java.lang.Math transcendentals (intrinsic
 * stubs versus the interpreter); StrictMath, Math.sqrt/fma/abs/min/max and + - * / are exact or fixed and allowed.
 * Scans the main sources of every module (schedules, bias corrections and policies must be reproducible too).
 */
class DeterministicMathTest {
    private static final Pattern REDUCE = Pattern.compile("reduceLanes\\(\\s*(VectorOperators\\.)?(ADD|MUL)\\b");
    private static final Pattern LANEWISE = Pattern.compile("(lanewise\\(\\s*|\\b)VectorOperators\\.(EXP|EXPM1|LOG"
            + "|LOG10|LOG1P|POW|TANH|SINH|COSH|SIN|COS|TAN|ASIN|ACOS|ATAN|ATAN2|CBRT|HYPOT)\\b");
    private static final Pattern SCALAR = Pattern.compile("\\bMath\\.(exp|expm1|log|log10|log1p|pow|tanh|sinh|cosh"
            + "|sin|cos|tan|asin|acos|atan|atan2|cbrt|hypot)\\s*\\(");

    /** Findings for one source line (comments stripped), each naming the offender and its deterministic fix. */
    static List<String> offences(String line) {
        String code = line.strip();
        if (code.startsWith("*") || code.startsWith("/*")) {
            return List.of();
        }
        int comment = code.indexOf("//");
        if (comment >= 0) {
            code = code.substring(0, comment);
        }
        List<String> found = new ArrayList<>();
        Matcher m = REDUCE.matcher(code);
        while (m.find()) {
            found.add("reduceLanes(" + m.group(2) + ") adds lanes in a JIT-dependent order: use VecMath.sumLanes "
                    + "(lane order)");
        }
        m = LANEWISE.matcher(code);
        while (m.find()) {
            found.add("VectorOperators." + m.group(2) + " is SVML in C2 but Math per lane otherwise: use VecMath."
                    + m.group(2).toLowerCase() + " (exp, expm1, log, log1p, tanh) or a per-element StrictMath loop");
        }
        m = SCALAR.matcher(code);
        while (m.find()) {
            found.add("Math." + m.group(1) + " is an intrinsic stub in compiled code but not in the interpreter: "
                    + "use StrictMath." + m.group(1));
        }
        return found;
    }

    @Test
    void mainSourcesUseOnlyTierIndependentMath() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();   // the repository, seen from the tensor module
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root)) {
            sources = files.filter(p -> p.toString().endsWith(".java")
                    && p.toString().replace('\\', '/').contains("/src/main/java/")).sorted().toList();
        }
        assertTrue(sources.size() > 10, "found only " + sources.size() + " sources under " + root);
        List<String> bad = new ArrayList<>();
        for (Path file : sources) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                for (String o : offences(lines.get(i))) {
                    bad.add(root.relativize(file) + ":" + (i + 1) + ": " + o);
                }
            }
        }
        if (!bad.isEmpty()) {
            fail("math whose bits depend on the JIT tier (breaks bitwise reproducibility across runs and thread "
                    + "counts):\n" + String.join("\n", bad));
        }
    }

    @Test
    void scannerFlagsEachKindAndSparesTheAllowedOnes() {
        assertEquals(1, offences("float s = acc.reduceLanes(VectorOperators.ADD);").size());
        assertEquals(1, offences("v.lanewise(VectorOperators.EXP).add(1f)").size());
        assertEquals(1, offences("v.lanewise(VectorOperators.POW, p)").size());
        assertEquals(1, offences("y = (float) Math.exp(x);").size());
        assertEquals(2, offences("y = Math.log1p(Math.tanh(x));").size());
        assertEquals(1, offences("y = java.lang.Math.pow(x, 2);").size());
        assertEquals(0, offences("y = (float) StrictMath.exp(x) + Math.sqrt(z) + Math.fma(a, b, c);").size());
        assertEquals(0, offences("m = acc.reduceLanes(VectorOperators.MAX); n = v.lanewise(VectorOperators.ASHR, 1);")
                .size());
        assertEquals(0, offences("y = Math.max(Math.abs(x), Math.min(a, b));").size());
        assertEquals(0, offences(" * exp via Math.exp(x) would be wrong here").size());
        assertEquals(0, offences("y = f(x);   // not Math.exp(x)").size());
    }
}
