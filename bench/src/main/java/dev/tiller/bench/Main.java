package dev.tiller.bench;

import dev.tiller.tensor.Parallel;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./tiller bench [NAME...]}: runs the reference workloads and prints one {@code key value} pair a line, the
 * same keys the PyTorch peer prints, so the two can be compared in one run.
 * With no names it runs every registered workload. {@code ./tiller bench jmh [JMH args]} hands over to JMH
 * (e.g. {@code ./tiller bench jmh GemmBenchmark -f 1}). {@code --profile} also prints, on stderr, the wall time a
 * timed step of each training workload spends in each op's forward and backward (autograd's OpTimes).
 *
 * <p>Threads: 2 (the peer's setting) unless {@code -Dtiller.threads} is given.
 */
public final class Main {
    /** A named workload: measures and reports its keys through out. */
    @FunctionalInterface
    interface Workload {
        void run(Report out);
    }

    /** Receives the figures of a workload; prints each as {@code key value} at once. */
    @FunctionalInterface
    interface Report {
        void put(String key, double value);
    }

    /** The registry, in run order; a new workload registers here. */
    static final Map<String, Workload> WORKLOADS = new LinkedHashMap<>();

    static {
        WORKLOADS.put("matmul", MatmulWorkload::run);
        WORKLOADS.put("mlp", TrainStepWorkloads::mlp);
        WORKLOADS.put("convnet", TrainStepWorkloads::convnet);
        WORKLOADS.put("gpt", TrainStepWorkloads::gpt);
        WORKLOADS.put("gpt_d512", TrainStepWorkloads::gptD512);
        WORKLOADS.put("gpt_d1024", TrainStepWorkloads::gptD1024);
        WORKLOADS.put("adamw", AdamWWorkload::run);
        WORKLOADS.put("probes", ProbeWorkload::run);
        WORKLOADS.put("policy", PolicyWorkload::run);
    }

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            String[] jmhArgs = Arrays.copyOfRange(args, 1, args.length);
            org.openjdk.jmh.Main.main(jmhArgs);   // qualified: JMH's Main, not this class
            return;
        }
        List<String> names = new ArrayList<>(Arrays.asList(args));
        if (names.remove("--profile")) {
            System.setProperty("tiller.profile", "true");     // before OpTimes is loaded: it reads the flag once
        }
        if (names.isEmpty()) {
            names.addAll(WORKLOADS.keySet());
        }
        for (String name : names) {
            if (!WORKLOADS.containsKey(name)) {
                System.err.println("tiller bench: unknown workload '" + name + "'; known: "
                        + String.join(", ", WORKLOADS.keySet()) + " (or 'jmh [JMH args]')");
                System.exit(2);
            }
        }
        if (System.getProperty("tiller.threads") == null) {
            Parallel.setThreads(2);
        }
        Report out = (key, value) -> System.out.println(key + " " + format4g(value));
        for (String name : names) {
            settle();
            WORKLOADS.get(name).run(out);
        }
        System.out.flush();
        System.exit(0);           // the Parallel workers are daemons, but be explicit about the exit status
    }

    /**
     * Lets the previous workload's garbage collection and JIT compilations finish before the next one is timed: a
     * full GC, then a wait (up to 10 s) until the JIT's total compilation time stops growing for half a second.
     * Otherwise the previous workload's compilations and collections run on the cores while the next is timed.
     */
    static void settle() {
        System.gc();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        long last = jit.getTotalCompilationTime();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = jit.getTotalCompilationTime();
            if (now == last) {
                return;
            }
            last = now;
        }
    }

    /** Python's {@code f"{v:.4g}"}: 4 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e4. */
    static String format4g(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal r = new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        if (exp < -4 || exp >= 4) {
            BigDecimal mant = r.movePointLeft(exp).stripTrailingZeros();
            return mant.toPlainString() + String.format(Locale.ROOT, "e%+03d", exp);
        }
        return r.stripTrailingZeros().toPlainString();
    }

    /** Median of times in seconds. */
    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
