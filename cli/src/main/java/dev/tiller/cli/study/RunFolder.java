package dev.tiller.cli.study;

import dev.tiller.tensor.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a finished training run folder (metrics.jsonl, events.jsonl) into the study's {@link RunResult}. */
public final class RunFolder {
    /** The smoothed training curve's EMA decay (time constant 20 steps) and its sampling interval. */
    static final double TRAIN_EMA_DECAY = 0.95;
    static final int TRAIN_EVERY = 10;

    private RunFolder() {}

    /** What the study knows about a run before reading its folder. */
    public record Planned(String workload, String contender, String arm, double lrFactor, long seed, Long faultAt,
                          Long shiftAt) {}

    /**
     * The result of the run in dir. A run counts as diverged when the trainer stopped it (a "diverged" event), or its
     * last validation loss is missing or non-finite, or above the loss of its first step (worse than where it
     * started).
     */
    public static RunResult read(Path dir, Planned p) {
        List<Map<String, Object>> rows = jsonl(dir.resolve("metrics.jsonl"));
        List<Map<String, Object>> events = jsonl(dir.resolve("events.jsonl"));
        List<CurvePoint> curve = new ArrayList<>();
        List<CurvePoint> train = new ArrayList<>();
        List<CurvePoint> oldDomain = new ArrayList<>();
        List<CurvePoint> newDomain = new ArrayList<>();
        double ema = Double.NaN;
        double firstLoss = Double.NaN;
        long steps = 0;
        long items = 0;
        double cpu = 0;
        Long detected = null;
        for (Map<String, Object> r : rows) {
            long step = (long) num(r.get("step"));
            steps = step;
            items = (long) num(r.get("items_seen"));
            cpu = num(r.get("train_cpu_s"));
            double loss = num(r.get("train_loss"));
            if (Double.isNaN(firstLoss)) {
                firstLoss = loss;
            }
            // the faulted step's own loss is the fault's artifact (a poisoned batch reports 10^4 times its loss), not
            // the model's
            boolean faultRow = p.faultAt() != null && step == p.faultAt();
            if (Double.isFinite(loss) && !faultRow) {
                ema = Double.isNaN(ema) ? loss : TRAIN_EMA_DECAY * ema + (1 - TRAIN_EMA_DECAY) * loss;
            }
            if (step % TRAIN_EVERY == 0) {
                train.add(new CurvePoint(step, items, cpu, ema));
            }
            if (r.containsKey("val_loss")) {
                curve.add(new CurvePoint(step, items, cpu, num(r.get("val_loss"))));
            }
            if (r.containsKey("val_loss_phase0") && r.containsKey("val_loss_phase1")) {
                oldDomain.add(new CurvePoint(step, items, cpu, num(r.get("val_loss_phase0"))));
                newDomain.add(new CurvePoint(step, items, cpu, num(r.get("val_loss_phase1"))));
            }
            if (detected == null && p.shiftAt() != null && step > p.shiftAt()
                    && r.get("derived") instanceof Map<?, ?> derived && num(derived.get("shift")) == 1.0) {
                detected = step;
            }
        }
        long rollbacks = events.stream().filter(e -> "rollback".equals(e.get("event"))).count();
        long skipped = events.stream().filter(e -> "skipped_step".equals(e.get("event"))).count();
        double fin = curve.isEmpty() ? Double.NaN : curve.getLast().value();
        boolean stopped = events.stream().anyMatch(e -> "diverged".equals(e.get("event")));
        boolean diverged = stopped || !Double.isFinite(fin) || (Double.isFinite(firstLoss) && fin > firstLoss);
        return new RunResult(p.workload(), p.contender(), p.arm(), p.lrFactor(), p.seed(), curve, train, steps, items,
                cpu, diverged ? Double.NaN : fin, diverged, rollbacks, skipped, p.faultAt(), p.shiftAt(), detected,
                oldDomain, newDomain);
    }

    /** A JSON number, or NaN for null, "NaN", "Infinity" and anything else that is not a number. */
    static double num(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            return switch (s) {
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> Double.NaN;
            };
        }
        return Double.NaN;
    }

    /**
     * The JSON objects of a JSON-lines file, keys as strings; a missing file reads as none, and a line that does
     * not parse (one cut short by a crash or still being written) is left out.
     */
    static List<Map<String, Object>> jsonl(Path file) {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                if (Json.parse(line, file.toString()) instanceof Map<?, ?> m) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    m.forEach((k, v) -> row.put(String.valueOf(k), v));
                    rows.add(row);
                }
            } catch (IllegalArgumentException e) {
                // a line cut short by a crash or still being written: the rest of the file still plots
            }
        }
        return rows;
    }
}
