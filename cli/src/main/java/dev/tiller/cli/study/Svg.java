package dev.tiller.cli.study;

import dev.tiller.cli.study.Analysis.WorkloadResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The study's plots as plain SVG text: validation metric against step per workload, and an adaptive run's knob
 * timelines. Every series is a polyline carrying data-contender/data-seed (or data-knob) attributes, so a reader (or
 * a test) can find it; hovering a decision marker shows its reason.
 */
public final class Svg {
    private static final int WIDTH = 760;
    private static final int LEFT = 70;
    private static final int RIGHT = 170;
    private static final int TOP = 34;
    private static final int BOTTOM = 46;
    private static final String[] COLOURS = {"#1f77b4", "#7f7f7f", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
        "#8c564b", "#e377c2", "#17becf", "#bcbd22"};

    private Svg() {}

    /** The curves plot of one workload of an analysis (empty plot when the workload is absent). */
    public static String curves(Analysis a, String workload) {
        return a.workload(workload).map(w -> curves(w.workload(), w.runs(), w.target()))
                .orElseGet(() -> curves(workload, Map.of(), Double.NaN));
    }

    /** The curves plot of every workload of an analysis, by workload name. */
    public static Map<String, String> curves(Analysis a) {
        Map<String, String> out = new LinkedHashMap<>();
        for (WorkloadResult w : a.workloads()) {
            out.put(w.workload(), curves(w.workload(), w.runs(), w.target()));
        }
        return out;
    }

    /**
     * Validation metric against step: one light line per seed and a solid one for the median seed (by final metric)
     * of each contender, the target as a dashed line (when finite). The y range leaves out each curve's first tenth
     * of steps so early losses do not flatten the plot; values above it are drawn at its top edge.
     */
    public static String curves(String workload, Map<String, List<RunResult>> runsByContender, double target) {
        int height = 420;
        double maxStep = 1;
        double lo = Double.POSITIVE_INFINITY;
        List<Double> highs = new ArrayList<>();
        for (List<RunResult> runs : runsByContender.values()) {
            for (RunResult r : runs) {
                for (CurvePoint p : r.curve()) {
                    maxStep = Math.max(maxStep, p.step());
                }
            }
        }
        for (List<RunResult> runs : runsByContender.values()) {
            for (RunResult r : runs) {
                double hi = Double.NEGATIVE_INFINITY;
                for (CurvePoint p : r.curve()) {
                    if (Double.isFinite(p.value())) {
                        lo = Math.min(lo, p.value());
                        if (p.step() >= 0.1 * maxStep) {
                            hi = Math.max(hi, p.value());
                        }
                    }
                }
                if (Double.isFinite(hi)) {
                    highs.add(hi);
                }
            }
        }
        if (Double.isFinite(target)) {
            lo = Math.min(lo, target);
            highs.add(target);
        }
        double hi = highs.isEmpty() ? Double.NaN : Analysis.median(highs.stream().mapToDouble(d -> d).toArray());
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            lo = 0;
            hi = 1;
        }
        Frame f = new Frame(0, maxStep, lo, hi, height);
        StringBuilder b = open(height, workload + ": validation metric against step");
        f.axes(b, "step", "validation metric");
        int i = 0;
        int legendY = TOP + 10;
        for (Map.Entry<String, List<RunResult>> e : runsByContender.entrySet()) {
            String colour = COLOURS[i++ % COLOURS.length];
            List<RunResult> runs = e.getValue();
            RunResult median = medianRun(runs);
            for (RunResult r : runs) {
                boolean main = r == median;
                b.append("<polyline data-contender=\"").append(esc(e.getKey())).append("\" data-seed=\"")
                        .append(r.seed()).append("\" fill=\"none\" stroke=\"").append(colour)
                        .append(main ? "\" stroke-width=\"2\"" : "\" stroke-width=\"1\" stroke-opacity=\"0.3\"")
                        .append(" points=\"");
                for (CurvePoint p : r.curve()) {
                    if (!Double.isNaN(p.value())) {
                        b.append(fmt(f.x(p.step()))).append(',').append(fmt(f.y(p.value()))).append(' ');
                    }
                }
                b.append("\"/>\n");
            }
            legend(b, legendY, colour, false, e.getKey());
            legendY += 18;
        }
        if (Double.isFinite(target)) {
            b.append("<line class=\"target\" x1=\"").append(fmt(f.x(0))).append("\" x2=\"").append(fmt(f.x(maxStep)))
                    .append("\" y1=\"").append(fmt(f.y(target))).append("\" y2=\"").append(fmt(f.y(target)))
                    .append("\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n");
            legend(b, legendY, "black", true, "target " + Analysis.num(target));
        }
        return b.append("</svg>\n").toString();
    }

    /**
     * A performance profile: rho(tau), the fraction of workloads a contender reaches the target on within tau times
     * the fastest, against tau from 1 to r_max, one step line per contender (data-contender on each).
     */
    public static String profile(Analysis.Profile p) {
        int height = 360;
        double rMax = Analysis.R_MAX;
        Frame f = new Frame(1, rMax, 0, 1, height);
        StringBuilder b = open(height, "performance profile on " + p.unit() + " to target ("
                + p.workloads().size() + " workloads)");
        f.axes(b, "tau (times the fastest)", "fraction of workloads");
        int n = p.workloads().size();
        int i = 0;
        int legendY = TOP + 10;
        for (String c : p.contenders()) {
            String colour = COLOURS[i++ % COLOURS.length];
            List<Double> rs = new ArrayList<>(p.ratios().get(c).values());
            rs.sort(Double::compare);
            b.append("<polyline data-contender=\"").append(esc(c)).append("\" fill=\"none\" stroke=\"")
                    .append(colour).append("\" stroke-width=\"2\" points=\"");
            int below = 0;
            while (below < rs.size() && rs.get(below) <= 1) {
                below++;
            }
            double rho = n == 0 ? 0 : (double) below / n;
            b.append(fmt(f.x(1))).append(',').append(fmt(f.y(rho))).append(' ');
            for (int k = below; k < rs.size() && rs.get(k) <= rMax; k++) {
                b.append(fmt(f.x(rs.get(k)))).append(',').append(fmt(f.y(rho))).append(' ');
                rho = (double) (k + 1) / n;
                b.append(fmt(f.x(rs.get(k)))).append(',').append(fmt(f.y(rho))).append(' ');
            }
            b.append(fmt(f.x(rMax))).append(',').append(fmt(f.y(rho))).append("\"/>\n");
            legend(b, legendY, colour, false, c + String.format(Locale.ROOT, " %.3f", p.score(c)));
            legendY += 18;
        }
        return b.append("</svg>\n").toString();
    }

    /** The run of median final metric (NaN ranking last; the lower middle of an even count), null for none. */
    static RunResult medianRun(List<RunResult> runs) {
        if (runs.isEmpty()) {
            return null;
        }
        List<RunResult> s = new ArrayList<>(runs);
        s.sort(Comparator.comparingDouble(r -> Double.isNaN(r.finalMetric()) ? Double.POSITIVE_INFINITY
                : r.finalMetric()));
        return s.get((s.size() - 1) / 2);
    }

    /**
     * The knob timelines of a run folder: its metrics.jsonl rows (step and an object "knobs") and events.jsonl
     * decisions (step, knob, old, new, reason). A line that does not parse (one being written) is left out.
     */
    public static String knobTimeline(Path runFolder) {
        return knobTimeline(runFolder.getFileName() == null ? "run" : runFolder.getFileName().toString(), runFolder);
    }

    /** {@link #knobTimeline(Path)} under title. */
    public static String knobTimeline(String title, Path runFolder) {
        return knobTimeline(title, RunFolder.jsonl(runFolder.resolve("metrics.jsonl")),
                RunFolder.jsonl(runFolder.resolve("events.jsonl")));
    }

    /**
     * One small panel per knob that ever moved (its value changed, or a decision named it): the knob's value
     * against step, and a marker at each decision on it whose tooltip gives the step and the reason.
     */
    public static String knobTimeline(String title, List<Map<String, Object>> metrics,
                                      List<Map<String, Object>> events) {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        double maxStep = 1;
        for (Map<String, Object> row : metrics) {
            if (row.get("step") instanceof Number step && row.get("knobs") instanceof Map<?, ?> knobs) {
                maxStep = Math.max(maxStep, step.doubleValue());
                for (Map.Entry<?, ?> e : knobs.entrySet()) {
                    if (e.getValue() instanceof Number v) {
                        series.computeIfAbsent(String.valueOf(e.getKey()), k -> new ArrayList<>())
                                .add(new double[] {step.doubleValue(), v.doubleValue()});
                    }
                }
            }
        }
        Map<String, List<Map<String, Object>>> decisions = new LinkedHashMap<>();
        for (Map<String, Object> ev : events) {
            if ("decision".equals(ev.get("event")) && ev.get("knob") instanceof String knob
                    && ev.get("step") instanceof Number step) {
                decisions.computeIfAbsent(knob, k -> new ArrayList<>()).add(ev);
                maxStep = Math.max(maxStep, step.doubleValue());
            }
        }
        List<String> moved = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            double first = e.getValue().get(0)[1];
            if (decisions.containsKey(e.getKey()) || e.getValue().stream().anyMatch(p -> p[1] != first)) {
                moved.add(e.getKey());
            }
        }
        for (String k : decisions.keySet()) {
            if (!moved.contains(k)) {
                moved.add(k);
            }
        }
        int panel = 110;
        int height = TOP + Math.max(1, moved.size()) * panel + BOTTOM - 30;
        StringBuilder b = open(height, title + ": knob timelines (markers: decisions)");
        if (moved.isEmpty()) {
            b.append("<text x=\"").append(LEFT).append("\" y=\"").append(TOP + 40)
                    .append("\" font-size=\"13\">no knob moved</text>\n");
        } else {
            legend(b, TOP + 10, "#1f77b4", false, "knob (x recipe value)");
            int x = WIDTH - RIGHT + 26;
            b.append("<circle cx=\"").append(x).append("\" cy=\"").append(TOP + 28)
                    .append("\" r=\"3\" fill=\"#d62728\"/><text x=\"").append(x + 17).append("\" y=\"")
                    .append(TOP + 32).append("\" font-size=\"12\">decision</text>\n");
        }
        for (int i = 0; i < moved.size(); i++) {
            String knob = moved.get(i);
            List<double[]> pts = series.getOrDefault(knob, List.of());
            List<Map<String, Object>> ds = decisions.getOrDefault(knob, List.of());
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] p : pts) {
                if (Double.isFinite(p[1])) {
                    lo = Math.min(lo, p[1]);
                    hi = Math.max(hi, p[1]);
                }
            }
            for (Map<String, Object> d : ds) {
                for (Object v : new Object[] {d.get("old"), d.get("new")}) {
                    if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
                        lo = Math.min(lo, n.doubleValue());
                        hi = Math.max(hi, n.doubleValue());
                    }
                }
            }
            if (!Double.isFinite(lo)) {
                lo = 0;
                hi = 1;
            }
            int top = TOP + i * panel;
            Frame f = new Frame(0, maxStep, lo, hi, top, top + panel - 30);
            f.axes(b, i == moved.size() - 1 ? "step" : "", knob);
            b.append("<polyline data-knob=\"").append(esc(knob))
                    .append("\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            double prev = Double.NaN;
            for (int j = 0; j < pts.size(); j++) {
                double[] p = pts.get(j);
                boolean last = j == pts.size() - 1;
                if (j == 0 || p[1] != prev || last) {
                    if (j > 0 && p[1] != prev) {      // hold the old value up to this step: a step function
                        b.append(fmt(f.x(p[0]))).append(',').append(fmt(f.y(prev))).append(' ');
                    }
                    b.append(fmt(f.x(p[0]))).append(',').append(fmt(f.y(p[1]))).append(' ');
                }
                prev = p[1];
            }
            b.append("\"/>\n");
            for (Map<String, Object> d : ds) {
                double step = ((Number) d.get("step")).doubleValue();
                double v = d.get("new") instanceof Number n ? n.doubleValue() : Double.NaN;
                if (!Double.isFinite(v)) {
                    continue;
                }
                b.append("<circle class=\"decision\" data-knob=\"").append(esc(knob)).append("\" cx=\"")
                        .append(fmt(f.x(step))).append("\" cy=\"").append(fmt(f.y(v)))
                        .append("\" r=\"3\" fill=\"#d62728\"><title>step ").append(fmt(step)).append(": ")
                        .append(esc(String.valueOf(d.get("old")))).append(" -&gt; ").append(esc(String.valueOf(v)))
                        .append(d.get("reason") == null ? "" : " (" + esc(String.valueOf(d.get("reason"))) + ")")
                        .append("</title></circle>\n");
            }
        }
        return b.append("</svg>\n").toString();
    }


    // ---------------------------------------------------------------- drawing

    private static StringBuilder open(int height, String title) {
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" font-family=\"sans-serif\">\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append("<text x=\"").append(WIDTH / 2).append("\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">")
                .append(esc(title)).append("</text>\n");
        return b;
    }

    private static void legend(StringBuilder b, int y, String colour, boolean dashed, String label) {
        int x = WIDTH - RIGHT + 15;
        b.append("<line x1=\"").append(x).append("\" x2=\"").append(x + 22).append("\" y1=\"").append(y)
                .append("\" y2=\"").append(y).append("\" stroke=\"").append(colour).append("\" stroke-width=\"2\"")
                .append(dashed ? " stroke-dasharray=\"6 4\"" : "").append("/>\n");
        b.append("<text x=\"").append(x + 28).append("\" y=\"").append(y + 4).append("\" font-size=\"12\">")
                .append(esc(label)).append("</text>\n");
    }

    /** A plot area mapping data (x0..x1, y0..y1) onto pixels, y clamped to the area. */
    private record Frame(double x0, double x1, double y0, double y1, int top, int bottom) {
        Frame(double x0, double x1, double y0, double y1, int height) {
            this(x0, x1, y0, y1, TOP, height - BOTTOM);
        }

        Frame {
            if (!(y1 > y0)) {
                double pad = y0 == 0 ? 1 : Math.abs(y0) * 0.1;
                y0 -= pad;
                y1 += pad;
            }
            if (!(x1 > x0)) {
                x1 = x0 + 1;
            }
        }

        double x(double v) {
            return LEFT + (v - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
        }

        double y(double v) {
            double c = Math.max(y0, Math.min(y1, v));
            return bottom - (c - y0) / (y1 - y0) * (bottom - top);
        }

        void axes(StringBuilder b, String xLabel, String yLabel) {
            int right = WIDTH - RIGHT;
            b.append("<g class=\"axes\" stroke=\"#333\" fill=\"none\"><line x1=\"").append(LEFT).append("\" y1=\"")
                    .append(bottom).append("\" x2=\"").append(right).append("\" y2=\"").append(bottom)
                    .append("\"/><line x1=\"").append(LEFT).append("\" y1=\"").append(top).append("\" x2=\"")
                    .append(LEFT).append("\" y2=\"").append(bottom).append("\"/></g>\n");
            for (double t : ticks(x0, x1)) {
                b.append("<line x1=\"").append(fmt(x(t))).append("\" x2=\"").append(fmt(x(t))).append("\" y1=\"")
                        .append(bottom).append("\" y2=\"").append(bottom + 4).append("\" stroke=\"#333\"/>")
                        .append("<text x=\"").append(fmt(x(t))).append("\" y=\"").append(bottom + 16)
                        .append("\" text-anchor=\"middle\" font-size=\"11\">").append(label(t, x0, x1))
                        .append("</text>\n");
            }
            for (double t : ticks(y0, y1)) {
                b.append("<line x1=\"").append(LEFT - 4).append("\" x2=\"").append(LEFT).append("\" y1=\"")
                        .append(fmt(y(t))).append("\" y2=\"").append(fmt(y(t))).append("\" stroke=\"#333\"/>")
                        .append("<line x1=\"").append(LEFT).append("\" x2=\"").append(right).append("\" y1=\"")
                        .append(fmt(y(t))).append("\" y2=\"").append(fmt(y(t))).append("\" stroke=\"#eee\"/>")
                        .append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(fmt(y(t) + 4))
                        .append("\" text-anchor=\"end\" font-size=\"11\">").append(label(t, y0, y1))
                        .append("</text>\n");
            }
            if (!xLabel.isEmpty()) {
                b.append("<text x=\"").append((LEFT + right) / 2).append("\" y=\"").append(bottom + 34)
                        .append("\" text-anchor=\"middle\" font-size=\"12\">").append(esc(xLabel)).append("</text>\n");
            }
            int mid = (top + bottom) / 2;
            b.append("<text x=\"16\" y=\"").append(mid).append("\" text-anchor=\"middle\" font-size=\"12\"")
                    .append(" transform=\"rotate(-90 16 ").append(mid).append(")\">").append(esc(yLabel))
                    .append("</text>\n");
        }
    }

    /** About five round tick values (1, 2 or 5 times a power of ten apart) within lo..hi. */
    static List<Double> ticks(double lo, double hi) {
        List<Double> out = new ArrayList<>();
        double span = hi - lo;
        if (!(span > 0) || !Double.isFinite(span)) {
            return out;
        }
        int e = (int) Math.floor(StrictMath.log10(span / 5));
        double norm = span / 5 / StrictMath.pow(10, e);
        long unit = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
        // tick k is k * unit * 10^e, computed as an integer over an exact power of ten so 1.2 prints as 1.2
        double scale = StrictMath.pow(10, Math.abs(e));
        for (long k = (long) Math.ceil(lo / (unit * StrictMath.pow(10, e))); ; k++) {
            double t = e < 0 ? k * unit / scale : k * unit * scale;
            if (t > hi + span * 1e-9) {
                break;
            }
            out.add(t == 0 ? 0.0 : t);
        }
        return out;
    }

    private static double tickStep(double lo, double hi) {
        List<Double> t = ticks(lo, hi);
        return t.size() < 2 ? Math.max(Math.abs(hi - lo), 1e-12) : t.get(1) - t.get(0);
    }

    private static String label(double t, double lo, double hi) {
        double step = tickStep(lo, hi);
        int decimals = Math.max(0, (int) -Math.floor(StrictMath.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", t);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** Text escaped for XML character data and attribute values. */
    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
