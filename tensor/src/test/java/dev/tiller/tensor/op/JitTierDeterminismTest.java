package dev.tiller.tensor.op;

import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Kernels;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bitwise reproducibility across JIT tiers: the ops that use exp, log, tanh, erf, pow and lane sums
 * give the same bits in a child JVM run with -Xint (every Vector API call takes its Java fallback, every Math call
 * the interpreter's) as in this JVM, both on the first calls and after a warm-up far past C2's compile thresholds
 * (intrinsics, SVML), with 1, 2 and 4 threads interleaved; an input large enough to split every loop gives the same
 * bits for every thread count, cold and warm. The hazards it guards: a Vector API lanewise(EXP) (SVML when
 * compiled, Math.exp per lane when not) or reduceLanes(ADD) (a tree when compiled, lane order when not) in a
 * kernel would change results as the JVM warms up, which is why the kernels use VecMath instead.
 */
class JitTierDeterminismTest {
    private static final int[] THREADS = {1, 2, 4};

    /** Every probed op on fixed inputs of shape [rows, cols] (cols crosses vector widths and leaves a tail). */
    static Map<String, float[]> probe(int rows, int cols) {
        try (Tensor x = Tensor.uniform(7, 1, -12f, 12f, rows, cols);
             Tensor pos = Tensor.uniform(7, 2, 1e-3f, 40f, rows, cols);
             Tensor e = Tensor.uniform(7, 3, -3f, 3f, rows, cols);
             Tensor g = Tensor.uniform(7, 4, -1f, 1f, rows, cols);
             Tensor img = Tensor.uniform(7, 5, -1f, 1f, 2, 3, rows, cols)) {
            return probe(x, pos, e, g, img);
        }
    }

    /**
     * The probed ops on x (any sign), pos (> 0), e (in [-3, 3], erf and exponents), g (upstream gradients) and img
     * ([N, C, H, W] upstream gradient of a convolution, for the bias gradient's plane sums).
     */
    static Map<String, float[]> probe(Tensor x, Tensor pos, Tensor e, Tensor g, Tensor img) {
        Map<String, float[]> r = new LinkedHashMap<>();
        put(r, "exp", Unary.exp(x));
        put(r, "log", Unary.log(pos));
        put(r, "tanh", Unary.tanh(x));
        put(r, "sigmoid", Unary.sigmoid(x));
        put(r, "silu", Unary.silu(x));
        put(r, "erf", Unary.erf(e));
        put(r, "gelu", Unary.gelu(x, false));
        put(r, "geluTanh", Unary.gelu(x, true));
        put(r, "softplus", Unary.softplus(x, 1f, 20f));
        put(r, "powScalar", Unary.powScalar(pos, 1.7f));
        put(r, "pow", Binary.pow(pos, e));
        put(r, "geluBackward", Unary.geluBackward(x, g, false));
        put(r, "siluBackward", Unary.siluBackward(x, g));
        put(r, "softplusBackward", Unary.softplusBackward(x, g, 1f, 20f));
        put(r, "softmax", Softmax.softmax(x, 1));
        put(r, "logSoftmax", Softmax.logSoftmax(x, 1));
        put(r, "logsumexp", Reduce.logsumexp(x, new int[] {1}, false));
        put(r, "logsumexpCols", Reduce.logsumexp(x, new int[] {0}, false));
        put(r, "sumRows", Reduce.sum(x, new int[] {1}, false));
        put(r, "sumAll", Reduce.sum(x));
        put(r, "mean", Reduce.mean(x, new int[] {1}, false));
        put(r, "var", Reduce.var(x, new int[] {1}, 1, false));
        put(r, "convBiasGrad", Conv.conv2dBackwardBias(img));
        return r;
    }

    private static void put(Map<String, float[]> r, String name, Tensor t) {
        r.put(name, t.toFloatArray());
        t.close();
    }

    private static final int ROWS = 7;
    private static final int COLS = 45;     // 2 * 16 + 13: full vectors of every width and a tail
    /**
     * Rows of the input that every probed loop cuts into several chunks, so 2 and 4 threads really share the work:
     * 460 x 45 = 20700 elements pass the element-wise chunk (16384) and a whole-tensor sum's, 460 rows pass the row
     * ops' grain (16384 / 45 = 364 rows), 45 columns of 460 pass the column reductions' (35 columns), and the
     * convolution bias gradient's 2 x 20700-element planes pass its per-channel grain (65536 reads). Checked
     * against its own first (cold, 1-thread) result: under -Xint it would take the child about 20 times longer
     * than the small input, whose -Xint result anchors the tiers.
     */
    private static final int SPLIT_ROWS = 460;

    /** Child JVM entry point: writes probe(ROWS, COLS) with 2 threads to args[0]. */
    public static void main(String[] args) throws IOException {
        Parallel.setThreads(2);
        Map<String, float[]> r = probe(ROWS, COLS);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            out.writeInt(r.size());
            for (Map.Entry<String, float[]> en : r.entrySet()) {
                out.writeUTF(en.getKey());
                out.writeInt(en.getValue().length);
                for (float v : en.getValue()) {
                    out.writeInt(Float.floatToRawIntBits(v));
                }
            }
        }
        Parallel.setThreads(1);
        System.exit(0);
    }

    private static Map<String, float[]> interpreted() throws IOException, InterruptedException {
        Path file = Files.createTempFile("tiller-xint", ".bin");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xint") && !a.startsWith("-Xcomp")) {
                    cmd.add(a);
                }
            }
            cmd.add("-Dtiller.simd=" + Kernels.SIMD);   // surefire may set it as a property, not a JVM argument
            cmd.addAll(List.of("-Xint", "-cp", System.getProperty("java.class.path"),
                    JitTierDeterminismTest.class.getName(), file.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] log = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "-Xint child timed out");
            assertEquals(0, p.exitValue(), "-Xint child failed: " + new String(log));
            Map<String, float[]> r = new LinkedHashMap<>();
            try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
                for (int k = in.readInt(); k > 0; k--) {
                    String name = in.readUTF();
                    float[] v = new float[in.readInt()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Float.intBitsToFloat(in.readInt());
                    }
                    r.put(name, v);
                }
            }
            return r;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void assertSameBits(Map<String, float[]> want, Map<String, float[]> got, String when,
                                       String reference) {
        assertEquals(want.keySet(), got.keySet(), when);
        for (String op : want.keySet()) {
            float[] a = want.get(op);
            float[] b = got.get(op);
            assertEquals(a.length, b.length, op + " length, " + when);
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                    fail(op + "[" + i + "] " + when + ": " + b[i] + " but " + reference + " gave " + a[i]);
                }
            }
        }
    }

    @Test
    void sameBitsInterpretedColdAndWarmForAnyThreadCount() throws Exception {
        Map<String, float[]> xint = interpreted();
        Map<String, float[]> splitFirst = null;
        int old = Parallel.threads();
        try {
            for (int round = 0; round < 20; round++) {
                if (round == 10) {
                    // warm-up: 100 calls of every op on 4000 elements: VecMath's helpers run over 10^5 times
                    // (Tier4InvocationThreshold is 5000) and each kernel loop takes over 10^4 back-edges per call,
                    // far past C2's OSR threshold (Tier4BackEdgeThreshold 40000)
                    Parallel.setThreads(1);
                    try (Tensor x = Tensor.uniform(8, 1, -12f, 12f, 4, 1000);
                         Tensor pos = Tensor.uniform(8, 2, 1e-3f, 40f, 4, 1000);
                         Tensor e = Tensor.uniform(8, 3, -3f, 3f, 4, 1000);
                         Tensor g = Tensor.uniform(8, 4, -1f, 1f, 4, 1000);
                         Tensor img = Tensor.uniform(8, 5, -1f, 1f, 2, 2, 20, 50)) {
                        for (int k = 0; k < 100; k++) {
                            probe(x, pos, e, g, img);
                        }
                    }
                }
                int threads = THREADS[round % THREADS.length];
                Parallel.setThreads(threads);
                String when = "round " + round + " (" + (round < 10 ? "cold" : "warm") + "), " + threads + " threads";
                assertSameBits(xint, probe(ROWS, COLS), when, "-Xint");
                Map<String, float[]> split = probe(SPLIT_ROWS, COLS);
                if (round == 0) {
                    splitFirst = split;
                } else {
                    assertSameBits(splitFirst, split, SPLIT_ROWS + " rows, " + when, "the cold 1-thread round");
                }
            }
        } finally {
            Parallel.setThreads(old);
        }
    }
}
