package dev.tiller.cli;

import dev.tiller.cli.study.Study;
import dev.tiller.conform.Conform;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.ThreadCount;
import dev.tiller.tensor.kernel.Kernels;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of {@code ./tiller}. Each command is one line in {@link #COMMANDS}; the launcher script sends
 * {@code bench} to the bench module's own main class, since nothing may depend on bench.
 */
public final class Main {
    private record Command(String name, String usage, String summary) {}

    private static final Command[] COMMANDS = {
        new Command("help", "./tiller help", "list the commands"),
        new Command("train", "./tiller train [--model M ...]", "train a model (default: the GPT on the JDK's java.util"
                + " sources); ./tiller train --help for the flags"),
        new Command("resume", "./tiller resume RUN", "continue RUN from its newest valid checkpoint, bit for bit as if"
                + " never stopped"),
        new Command("export", "./tiller export RUN", "write RUN's newest checkpointed weights as safetensors (PyTorch's"
                + " safetensors.torch.load_file reads them; train --init reads them back)"),
        new Command("replay", "./tiller replay RUN", "re-run the regime over RUN's recorded signals and check every"
                + " decision and knob value (exit 0 only with no mismatch)"),
        new Command("explain", "./tiller explain RUN", "what the regime did in RUN and why, largest effects first"),
        new Command("study", "./tiller study regimes [--quick ...]", "the regime study: every contender on every"
                + " workload and seed, AlgoPerf-style; resumable; ./tiller study --help for the flags"),
        new Command("info", "./tiller info", "show the JDK, the SIMD kernel path and the thread count"),
        new Command("test", "./tiller test [all]", "run the test suite (all: also tests tagged soak)"),
        new Command("conform", "./tiller conform [FILE...]", "check the shipped PyTorch/Optax reference cases, or the"
                + " golden-v1 FILEs given"),
        new Command("bench", "./tiller bench [matmul ...]", "run the reference workloads, one `key value` a line"),
    };

    /** The exit status of a train run that stopped because its weights could no longer move (see Trainer). */
    public static final int STOPPED_DIVERGED = 3;

    private Main() {}

    public static void main(String[] args) {
        String threads = System.getProperty("tiller.threads");
        if (threads != null) {
            try {
                ThreadCount.parse(threads, "-Dtiller.threads");    // before anything starts the thread pool
            } catch (IllegalArgumentException e) {
                System.err.println("tiller: " + e.getMessage());
                System.exit(2);
            }
        }
        String cmd = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        int status = switch (cmd) {
            case "help", "-h", "--help" -> help(System.out);
            case "info" -> info(System.out);
            case "train" -> rest.length == 1 && (rest[0].equals("--help") || rest[0].equals("-h"))
                    ? usage(Train.USAGE) : Train.run(rest, System.out, System.err);
            case "conform" -> Conform.standard().run(Arrays.asList(rest), System.out);
            case "resume" -> rest.length == 1 && (rest[0].equals("--help") || rest[0].equals("-h"))
                    ? usage(Train.RESUME_USAGE) : Train.resume(rest, System.out, System.err);
            case "export" -> Train.export(rest, System.out, System.err);
            case "replay" -> RunCommands.replay(rest, System.out, System.err);
            case "study" -> rest.length == 1 && (rest[0].equals("--help") || rest[0].equals("-h"))
                    ? usage(Study.USAGE) : Study.main(rest, System.out, System.err);
            case "explain" -> RunCommands.explain(rest, System.out, System.err);
            default -> {
                System.err.println("tiller: unknown command '" + cmd + "'");
                help(System.err);
                yield 2;
            }
        };
        System.exit(status);
    }

    /** {@code ./tiller train ARGS} with its output on out and err; returns the exit status. */
    public static int train(String[] args, PrintStream out, PrintStream err) {
        return Train.run(args, out, err);
    }

    private static int help(PrintStream out) {
        out.println("Tiller: a pure-Java training stack whose optimizer adapts to the run.");
        out.println();
        out.println("Commands:");
        for (Command c : COMMANDS) {
            out.printf("  %-30s %s%n", c.usage(), c.summary());
        }
        out.println();
        out.println("Switches: -Dtiller.simd=false runs every kernel on its scalar twin; -Dtiller.threads=N sets"
                + " threads (pass with JAVA_TOOL_OPTIONS).");
        return 0;
    }

    private static int usage(String text) {
        System.out.println("usage: " + text);
        return 0;
    }

    private static int info(PrintStream out) {
        out.println("java " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        out.println("kernels " + (Kernels.SIMD ? "simd" : "scalar twins"));
        out.println("threads " + Parallel.threads());
        out.println("processors " + Runtime.getRuntime().availableProcessors());
        return 0;
    }
}
