package dev.tiller.cli.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;

import static dev.tiller.cli.study.Runs.base;
import static dev.tiller.cli.study.Runs.curve;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgTest {
    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(Document d, String tag) {
        NodeList list = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < list.getLength(); i++) {
            out.add((Element) list.item(i));
        }
        return out;
    }

    @Test
    void curvesPlotIsWellFormedWithOneLinePerSeedAndTheTarget() throws Exception {
        List<RunResult> runs = new ArrayList<>();
        for (long seed = 0; seed < 3; seed++) {
            runs.add(base("w<&>", "oracle", seed, curve(100, 1, 3, 2, 1 + seed * 0.1)));
            runs.add(base("w<&>", "adaptive", seed, curve(100, 1, 3, 1.8, 0.9 + seed * 0.1)));
        }
        runs.add(base("w<&>", "static", 0, curve(100, 1, 3, Double.NaN)));     // diverged: a gap, not a crash
        Analysis a = Analysis.of(runs);
        Document d = parse(Svg.curves(a, "w<&>"));
        assertEquals("svg", d.getDocumentElement().getLocalName());
        List<Element> lines = elements(d, "polyline");
        assertEquals(7, lines.size());
        Set<String> series = new TreeSet<>();
        int solid = 0;
        for (Element e : lines) {
            series.add(e.getAttribute("data-contender") + "/" + e.getAttribute("data-seed"));
            solid += e.hasAttribute("stroke-opacity") ? 0 : 1;
            assertTrue(e.getAttribute("points").isEmpty() || e.getAttribute("points").matches("[0-9., ]+"),
                    e.getAttribute("points"));
        }
        assertEquals(Set.of("adaptive/0", "adaptive/1", "adaptive/2", "oracle/0", "oracle/1", "oracle/2",
                "static/0"), series);
        assertEquals(3, solid);                                        // the median seed of each contender
        // oracle finals 1.0, 1.1, 1.2: target 1.1, drawn dashed
        List<Element> target = elements(d, "line").stream().filter(e -> e.getAttribute("class").equals("target"))
                .toList();
        assertEquals(1, target.size());
        assertEquals("6 4", target.get(0).getAttribute("stroke-dasharray"));
        assertTrue(Svg.curves(a, "w<&>").contains("target 1.1000"));
        parse(Svg.curves(a, "absent"));                                 // an absent workload still gives a plot
    }

    @Test
    void profilePlotStepsUpAtEachRatio() throws Exception {
        List<RunResult> runs = new ArrayList<>();
        // as in AnalysisTest: CPU-s ratios oracle (1, 3), static (2, 1), adaptive (5, miss)
        runs.add(base("a", "oracle", 0, List.of(Runs.pt(100, 10, 1.0))));
        runs.add(base("a", "static", 0, List.of(Runs.pt(100, 10, 1.5), Runs.pt(200, 20, 0.9))));
        runs.add(base("a", "adaptive", 0, List.of(Runs.pt(100, 10, 2.0), Runs.pt(500, 50, 1.0))));
        runs.add(base("b", "oracle", 0, List.of(Runs.pt(100, 15, 2.0), Runs.pt(300, 45, 1.0))));
        runs.add(base("b", "static", 0, List.of(Runs.pt(100, 15, 0.8))));
        runs.add(base("b", "adaptive", 0, List.of(Runs.pt(100, 15, 1.5))));
        Document d = parse(Svg.profile(Analysis.of(runs).cpuProfile()));
        Map<String, String> points = new TreeMap<>();
        for (Element e : elements(d, "polyline")) {
            points.put(e.getAttribute("data-contender"), e.getAttribute("points").trim());
        }
        // frame: tau 1..4 on x 70..590 (520 px, 173.33 per unit), rho 0..1 on y 314..34 (280 px)
        // static: rho 1/2 from tau 1, up to 1 at tau 2, flat to 4
        assertEquals("70.0,174.0 243.3,174.0 243.3,34.0 590.0,34.0", points.get("static"));
        // oracle: 1/2 from 1, up to 1 at 3
        assertEquals("70.0,174.0 416.7,174.0 416.7,34.0 590.0,34.0", points.get("oracle"));
        // adaptive: ratios 5 and a miss, both beyond r_max: rho 0 throughout
        assertEquals("70.0,314.0 590.0,314.0", points.get("adaptive"));
    }

    @Test
    void ticksAreRoundValuesInsideTheRange() {
        assertEquals(List.of(0.0, 200.0, 400.0, 600.0, 800.0, 1000.0), Svg.ticks(0, 1000));
        assertEquals(List.of(1.2, 1.4, 1.6, 1.8, 2.0), Svg.ticks(1.13, 2.07));
        assertTrue(Svg.ticks(1, 1).isEmpty());
    }

    @Test
    void knobTimelineHasAPanelPerMovedKnobAndAMarkerPerDecision(@TempDir Path run) throws Exception {
        StringBuilder metrics = new StringBuilder();
        for (int step = 1; step <= 40; step++) {
            double lr = step < 20 ? 1 : 0.95;
            double wd = step < 30 ? 1 : 1.5;
            metrics.append("{\"step\":").append(step).append(",\"train_loss\":2,\"knobs\":{\"lr\":").append(lr)
                    .append(",\"momentum\":1,\"weight_decay\":").append(wd).append(",\"clip\":1,\"anchor\":0}}\n");
        }
        metrics.append("{\"step\":41,\"knobs\":{\"lr\"");                 // a line cut short by a crash
        Files.writeString(run.resolve("metrics.jsonl"), metrics);
        Files.writeString(run.resolve("events.jsonl"), """
                {"step":0,"event":"run_start","regime":"adaptive"}
                {"step":20,"event":"decision","controller":"plateau_lr","knob":"lr","old":1,"new":0.95,\
                "reason":"rapid progress < slope: decelerate & hold"}
                {"step":20,"event":"snapshot","ring_bytes":10}
                """);
        Document d = parse(Svg.knobTimeline(run));
        Set<String> panels = new TreeSet<>();
        for (Element e : elements(d, "polyline")) {
            panels.add(e.getAttribute("data-knob"));
        }
        // lr moved (and has a decision), weight_decay moved without one; momentum, clip and anchor never moved
        assertEquals(Set.of("lr", "weight_decay"), panels);
        List<Element> marks = elements(d, "circle").stream()
                .filter(e -> e.getAttribute("class").equals("decision")).toList();
        assertEquals(1, marks.size());
        assertEquals("lr", marks.get(0).getAttribute("data-knob"));
        assertTrue(marks.get(0).getTextContent().contains("step 20.0: 1.0 -> 0.95 (rapid progress < slope"),
                marks.get(0).getTextContent());
        // nothing moved: one empty panel saying so
        Document none = parse(Svg.knobTimeline("quiet", List.of(), List.of()));
        assertTrue(none.getDocumentElement().getTextContent().contains("no knob moved"));
    }
}
