package dev.tiller.policy.regime;

import dev.tiller.policy.regime.Replay.Logged;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A readable account of what the regime did in a run and why, from its events: first the totals, then per knob its
 * largest single change (largest effect first: |log(new/old)|, the anchor's absolute change after the scales) and its
 * net change over the run, then the rejections grouped by rule, then every decision, rollback, skipped step and trial
 * verdict in order, consecutive moves of one knob by one rule for one reason (a ramp) folded into one line. Pure
 * apart from {@link #run(Path)}'s reading.
 */
public final class Explain {
    private Explain() {}

    /** The account of the run in runDir, from its events.jsonl. */
    public static String run(Path runDir) {
        return of(Replay.readEvents(runDir.resolve("events.jsonl")));
    }

    /** The account of a run's events. */
    public static String of(List<Logged> events) {
        List<Logged> decisions = new ArrayList<>();
        int rollbacks = 0;
        int skips = 0;
        int verdicts = 0;
        int anomalies = 0;
        int kept = 0;
        Map<String, Integer> rejected = new TreeMap<>();
        for (Logged e : events) {
            switch (e.event()) {
                case "decision" -> decisions.add(e);
                case "rollback" -> rollbacks++;
                case "skipped_step" -> skips++;
                case "anomaly" -> anomalies++;
                case "trial_verdict" -> {
                    if (!Regime.CALIBRATE.equals(e.fields().get("controller"))) {   // a calibration is no trial
                        verdicts++;
                        kept += Boolean.TRUE.equals(e.fields().get("kept")) ? 1 : 0;
                    }
                }
                case "rejected" -> rejected.merge(e.fields().get("controller") + ": " + rule(e.fields().get("why")), 1,
                        Integer::sum);
                default -> { }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%d knob changes, %d rollbacks, %d skipped steps, %d trial verdicts"
                + " (%d kept), %d rejected proposals, %d anomalous steps%n", decisions.size(), rollbacks, skips,
                verdicts, kept, rejected.values().stream().mapToInt(Integer::intValue).sum(), anomalies));

        Map<Knob, Logged> largest = new EnumMap<>(Knob.class);
        Map<Knob, double[]> net = new EnumMap<>(Knob.class);
        for (Logged e : decisions) {
            Knob k = knob(e);
            if (k == null) {
                continue;
            }
            if (!largest.containsKey(k) || effect(k, e) > effect(k, largest.get(k))) {
                largest.put(k, e);
            }
            double[] n = net.computeIfAbsent(k, x -> new double[] {num(e, "old"), 0});
            n[1] = num(e, "new");
        }
        if (!largest.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nLargest effects (per knob, its largest single change):%n"));
            List<Knob> order = new ArrayList<>(largest.keySet());
            order.sort(Comparator.comparing((Knob k) -> k == Knob.ANCHOR)
                    .thenComparing(k -> -effect(k, largest.get(k))).thenComparing(Knob::ordinal));
            for (Knob k : order) {
                Logged e = largest.get(k);
                double[] n = net.get(k);
                b.append(String.format(Locale.ROOT, "  %-13s %s at step %d by %s: %s (net over the run: %s -> %s)%n",
                        k.key(), change(k, num(e, "old"), num(e, "new")), e.step(), e.fields().get("controller"),
                        e.fields().get("reason"), g(n[0]), g(n[1])));
            }
        }
        if (!rejected.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nRejected proposals (controller: rule, count):%n"));
            rejected.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry::getKey))
                    .forEach(r -> b.append(String.format(Locale.ROOT, "  %s  %d%n", r.getKey(), r.getValue())));
        }
        b.append(String.format(Locale.ROOT, "%nIn order:%n"));
        boolean any = false;
        List<Logged> run = new ArrayList<>();         // consecutive moves of one knob by one rule, printed as one
        for (Logged e : events) {
            Map<String, Object> f = e.fields();
            if (e.event().equals("decision") && knob(e) != null) {
                if (!run.isEmpty() && !sameMove(run.get(0), e)) {
                    appendMoves(b, run);
                    run.clear();
                }
                run.add(e);
                any = true;
                continue;
            }
            String line = switch (e.event()) {
                case "rollback" -> (Boolean.FALSE.equals(f.get("restored")) ? "rollback asked, nothing restored"
                        : "rollback to the snapshot after step " + (long) num(e, "to"))
                        + (f.get("why") == null ? "" : ": " + f.get("why"));
                case "skipped_step" -> "update skipped" + (f.get("reason") == null ? "" : ": " + f.get("reason"));
                case "trial_verdict" -> Regime.CALIBRATE.equals(f.get("controller")) ? String.valueOf(f.get("reason"))
                        : "trial of " + f.get("controller") + " on " + f.get("knob") + ": "
                        + (Boolean.TRUE.equals(f.get("kept")) ? "kept" : "reverted") + " (" + f.get("reason") + ")";
                default -> null;
            };
            if (line != null) {
                appendMoves(b, run);
                run.clear();
                b.append(String.format(Locale.ROOT, "  step %6d  %s%n", e.step(), line));
                any = true;
            }
        }
        appendMoves(b, run);
        if (!any) {
            b.append(String.format(Locale.ROOT, "  (the regime changed nothing)%n"));
        }
        return b.toString();
    }

    /** Whether e moves the same knob as first, by the same controller, for the same reason (a ramp's moves). */
    private static boolean sameMove(Logged first, Logged e) {
        return knob(first) == knob(e) && first.fields().get("controller").equals(e.fields().get("controller"))
                && String.valueOf(first.fields().get("reason")).equals(String.valueOf(e.fields().get("reason")));
    }

    /** One line for a run of moves: a single decision as it is, several as from..to over their steps. */
    private static void appendMoves(StringBuilder b, List<Logged> run) {
        if (run.isEmpty()) {
            return;
        }
        Logged first = run.get(0);
        Logged last = run.get(run.size() - 1);
        Knob k = knob(first);
        double old = num(first, "old");
        double now = num(last, "new");
        String steps = run.size() == 1 ? String.format(Locale.ROOT, "step %6d", first.step())
                : String.format(Locale.ROOT, "steps %d-%d", first.step(), last.step());
        b.append(String.format(Locale.ROOT, "  %s  %s %s -> %s (%s) by %s: %s%s%n", steps, k.key(), g(old), g(now),
                change(k, old, now), first.fields().get("controller"), first.fields().get("reason"),
                run.size() == 1 ? "" : " (" + run.size() + " moves)"));
    }

    /** The rule a rejection names: its why up to the first colon (numbers and steps stripped). */
    private static String rule(Object why) {
        String w = String.valueOf(why);
        int colon = w.indexOf(':');
        return colon < 0 ? w : w.substring(0, colon);
    }

    private static Knob knob(Logged e) {
        try {
            return Knob.of(String.valueOf(e.fields().get("knob")));
        } catch (IllegalArgumentException ex) {
            return null;
        }
    }

    private static double num(Logged e, String field) {
        Object o = e.fields().get(field);
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Size of a change: |log(new/old)| for scales, |new - old| for the anchor. */
    private static double effect(Knob k, Logged e) {
        double old = num(e, "old");
        double now = num(e, "new");
        double v = k == Knob.ANCHOR ? Math.abs(now - old) : Math.abs(StrictMath.log(now / old));
        return Double.isNaN(v) ? 0 : v;
    }

    private static String change(Knob k, double old, double now) {
        if (k == Knob.ANCHOR) {
            return String.format(Locale.ROOT, "%+.4g", now - old);
        }
        return String.format(Locale.ROOT, "x%.4g", now / old);
    }

    private static String g(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
