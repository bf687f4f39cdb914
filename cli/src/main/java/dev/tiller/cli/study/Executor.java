package dev.tiller.cli.study;

import dev.tiller.cli.Main;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How the study trains one run: `./tiller train --config CONFIG --out RUN`, its output to LOG. */
interface Executor {
    /** Trains the run config describes into run; returns the exit status. */
    int train(Path config, Path run, Path log) throws IOException;

    /**
     * Each run in a fresh JVM with this JVM's flags and class path, so every run pays its own JIT warm-up, as
     * AlgoPerf counts compilation, and no run inherits another's compiled code or heap.
     */
    static Executor subprocess() {
        return (config, run, log) -> {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Main.class.getName());
            // a study run restarts whole; its checkpoints would only fill the disk
            cmd.addAll(List.of("train", "--config", config.toString(), "--out", run.toString(),
                    "--checkpoint-every", "0"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                p.destroy();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while training " + run, e);
            }
        };
    }

    /** Every run in this JVM (tests: fast, but later runs find the JIT warm). */
    static Executor inProcess() {
        return (config, run, log) -> {
            try (PrintStream ps = new PrintStream(new FileOutputStream(log.toFile()), true, StandardCharsets.UTF_8)) {
                String[] args = {"--config", config.toString(), "--out", run.toString(), "--checkpoint-every", "0"};
                return Main.train(args, ps, ps);
            }
        };
    }
}
