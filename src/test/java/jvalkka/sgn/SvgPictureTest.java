package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The pipeline picture drawn in Java: well-formed SVG, boxes that do not overlap, links left to right. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SvgPictureTest {

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static double attr(Element e, String name) {
        return Double.parseDouble(e.getAttribute(name));
    }

    /** Element name -> its box {x, y, width, height}. */
    private static Map<String, double[]> boxes(Document doc) {
        Map<String, double[]> out = new HashMap<>();
        NodeList groups = doc.getElementsByTagName("g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            if (g.getAttribute("class").equals("element")) {
                Element box = (Element) g.getElementsByTagName("rect").item(0);
                out.put(g.getAttribute("data-name"), new double[] {attr(box, "x"), attr(box, "y"), attr(box, "width"),
                        attr(box, "height")});
            }
        }
        return out;
    }

    private static Map<String, Element> pads(Document doc) {
        Map<String, Element> out = new HashMap<>();
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element r = (Element) rects.item(i);
            if (!r.getAttribute("data-pad").isEmpty()) {
                out.put(r.getAttribute("data-pad"), r);
            }
        }
        return out;
    }

    private static List<Element> links(Document doc) {
        List<Element> out = new ArrayList<>();
        NodeList paths = doc.getElementsByTagName("path");
        for (int i = 0; i < paths.getLength(); i++) {
            Element p = (Element) paths.item(i);
            if (p.getAttribute("class").equals("link")) {
                out.add(p);
            }
        }
        return out;
    }

    private static Pipeline diamond() {
        IterSource src = new IterSource("src", List.of("H1", "L1"), Map.of());
        CallableTransform a = CallableTransform.fromCallable("a", f -> f.data(), "H1", "H1");
        CallableTransform b = CallableTransform.fromCallable("b <&> \"quoted\"", f -> f.data(), "L1", "L1");
        NullSink sink = new NullSink("sink", "H1", "L1", "V1");
        return new Pipeline().connect(src, a, Map.of("H1", "H1")).connect(src, b, Map.of("L1", "L1"))
                .connect(a, sink, Map.of("H1", "H1")).connect(b, sink, Map.of("L1", "L1"));
    }

    @Test
    void thePictureIsWellFormedSvgWithABoxPerElementAndACurvePerLink() throws Exception {
        Document doc = parse(diamond().toSvg("my <pipeline>"));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(java.util.Set.of("src", "a", "b <&> \"quoted\"", "sink"), boxes(doc).keySet());
        List<String> linked = new ArrayList<>();
        for (Element link : links(doc)) {
            linked.add(link.getAttribute("data-from") + " -> " + link.getAttribute("data-to"));
        }
        linked.sort(null);
        assertEquals(List.of("a:src:H1 -> sink:snk:H1", "b <&> \"quoted\":src:L1 -> sink:snk:L1",
                "src:src:H1 -> a:snk:H1", "src:src:L1 -> b <&> \"quoted\":snk:L1"), linked);
        assertEquals("my <pipeline>", doc.getElementsByTagName("text").item(0).getTextContent());
    }

    @Test
    void padsAreColouredAsInTheDotAndUnlinkedOnesStandOut() throws Exception {
        Map<String, Element> pads = pads(parse(diamond().toSvg()));
        assertEquals("lightblue", pads.get("sink:snk:H1").getAttribute("fill"));
        assertEquals("mediumaquamarine", pads.get("src:src:H1").getAttribute("fill"));
        assertEquals("tomato", pads.get("sink:snk:V1").getAttribute("fill"));
    }

    @Test
    void boxesDoNotOverlapAndEveryLinkRunsLeftToRight() throws Exception {
        Document doc = parse(diamond().toSvg());
        Map<String, double[]> boxes = boxes(doc);
        List<String> names = new ArrayList<>(boxes.keySet());
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                double[] p = boxes.get(names.get(i));
                double[] q = boxes.get(names.get(j));
                boolean apart = p[0] + p[2] <= q[0] || q[0] + q[2] <= p[0] || p[1] + p[3] <= q[1] || q[1] + q[3] <= p[1];
                assertTrue(apart, names.get(i) + " and " + names.get(j) + " overlap");
            }
        }
        Pattern start = Pattern.compile("M ([0-9.]+) [0-9.]+ C .*, ([0-9.]+) [0-9.]+$");
        for (Element link : links(doc)) {
            Matcher m = start.matcher(link.getAttribute("d"));
            assertTrue(m.matches(), link.getAttribute("d"));
            assertTrue(Double.parseDouble(m.group(1)) < Double.parseDouble(m.group(2)),
                    "left to right: " + link.getAttribute("d"));
        }
        assertTrue(boxes.get("src")[0] < boxes.get("a")[0] && boxes.get("a")[0] < boxes.get("sink")[0],
                "one column per step of the longest chain");
        assertEquals(boxes.get("a")[0], boxes.get("b <&> \"quoted\"")[0], "a and b share a column");
    }

    @Test
    void aComposedElementIsOneBoxNamingItsInnerElements() throws Exception {
        CallableTransform t1 = CallableTransform.fromCallable("t1", f -> f.data(), "data", "data");
        CallableTransform t2 = CallableTransform.fromCallable("t2", f -> f.data(), "data", "data");
        ComposedTransformElement chain = new Compose().connect(t1, t2).asTransform("chain");
        Pipeline p = new Pipeline().connect(new IterSource("src", List.of("data"), Map.of()), chain)
                .connect(chain, new NullSink("sink", "data"));
        String svg = p.toSvg();
        Document doc = parse(svg);
        assertEquals(java.util.Set.of("src", "chain", "sink"), boxes(doc).keySet());
        assertTrue(svg.contains(">of t1, t2<"), svg);
        assertEquals(2, links(doc).size(), "the links between the pipeline's own elements");
    }

    @Test
    void visualizeDrawsSvgInJavaWhenGraphvizIsMissingAndNamesThePackageOtherwise(@TempDir Path dir)
            throws Exception {
        Pipeline p = diamond();
        Path svg = dir.resolve("graph.svg");
        p.visualize(svg, "no-such-graphviz-program-jv");
        assertEquals(boxes(parse(p.toSvg())).keySet(), boxes(parse(Files.readString(svg))).keySet());
        Path png = dir.resolve("graph.png");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> p.visualize(png, "no-such-graphviz-program-jv"));
        assertTrue(e.getMessage().contains("apt-get install graphviz"), e.getMessage());
        assertTrue(e.getMessage().contains(".svg"), e.getMessage());
        assertFalse(Files.exists(png));
    }
}
