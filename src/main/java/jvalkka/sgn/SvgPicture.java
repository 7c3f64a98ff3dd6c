package jvalkka.sgn;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Draws a pipeline as SVG without Graphviz: a small layered layout, left to right as
 * {@link Pipeline#toDot()} asks of Graphviz. Each element is a box (name, class, its sink pads on
 * the left and source pads on the right, coloured as in the DOT: sink pads light blue, source
 * pads aquamarine, unlinked pads tomato); each link is a curve from a source pad to a sink pad.
 *
 * <p>Layout: an element's column is the length of the longest chain of links leading to it;
 * within a column, elements are ordered by the mean height of the pads that feed them (fewer
 * crossings), then stacked. A composed element is drawn as one box that names its inner
 * elements. Text widths are estimated from character counts (no font metrics), so labels are
 * given room to spare. Pure function of the graph; allocates a string.
 */
final class SvgPicture {
    private static final double CHAR_W = 7.2;
    private static final double ROW_H = 22;
    private static final double HEADER_ROW_H = 18;
    private static final double GAP_X = 90;
    private static final double GAP_Y = 30;
    private static final double MARGIN = 20;
    private static final String SINK_COLOUR = "lightblue";
    private static final String SOURCE_COLOUR = "mediumaquamarine";
    private static final String UNLINKED_COLOUR = "tomato";

    private SvgPicture() {
    }

    /** One element's box: size from its text, position from the layout. */
    private static final class Box {
        final Element element;
        final List<String> header = new ArrayList<>();
        final double padColumn;
        final double width;
        final double height;
        double x;
        double y;
        int layer;
        int order;

        Box(Element element, int order) {
            this.element = element;
            this.order = order;
            header.add(element.name());
            header.add(element.getClass().getSimpleName());
            List<Element> inner = element.composition() == null ? List.of() : element.composition().inner;
            if (!inner.isEmpty()) {
                List<String> names = new ArrayList<>();
                inner.forEach(e -> names.add(e.name()));
                header.add("of " + String.join(", ", names));
            }
            double headerWidth = 0;
            for (String line : header) {
                headerWidth = Math.max(headerWidth, textWidth(line));
            }
            double column = 0;
            for (Pad pad : element.sinkPadArray()) {
                column = Math.max(column, textWidth(pad.padName()));
            }
            for (Pad pad : element.sourcePadArray()) {
                column = Math.max(column, textWidth(pad.padName()));
            }
            padColumn = column + 16;
            width = Math.max(headerWidth + 24, 2 * padColumn + 40);
            int rows = Math.max(element.sinkPadArray().length, element.sourcePadArray().length);
            height = header.size() * HEADER_ROW_H + 10 + rows * ROW_H + 8;
        }

        double padTop(int index) {
            return y + header.size() * HEADER_ROW_H + 10 + index * ROW_H;
        }

        double sinkAnchorY(SinkPad pad) {
            return padTop(pad.index()) + ROW_H / 2 - 1;
        }

        double sourceAnchorY(SourcePad pad) {
            return padTop(pad.index()) + ROW_H / 2 - 1;
        }
    }

    private static double textWidth(String s) {
        return s.length() * CHAR_W;
    }

    /** The SVG document for {@code elements} (the pipeline's, in insertion order), titled {@code label} if non-null. */
    static String render(List<Element> elements, String label) {
        Map<Element, Box> boxes = new IdentityHashMap<>();
        List<Box> all = new ArrayList<>();
        for (Element e : elements) {
            Box b = new Box(e, all.size());
            boxes.put(e, b);
            all.add(b);
        }
        Map<Box, Set<Box>> predecessors = new IdentityHashMap<>();
        List<SinkPad> links = links(all, boxes, predecessors);
        assignLayers(all, predecessors);
        place(all, predecessors, boxes);

        double width = 0;
        double height = 0;
        for (Box b : all) {
            width = Math.max(width, b.x + b.width);
            height = Math.max(height, b.y + b.height);
        }
        double top = label == null ? 0 : 28;
        width += MARGIN;
        height += MARGIN + top;

        StringBuilder svg = new StringBuilder(4096);
        appendHeader(svg, width, height, label);
        svg.append("  <g transform=\"translate(0 ").append(num(top)).append(")\">\n");
        for (Box b : all) {
            appendBox(svg, b);
        }
        for (SinkPad sink : links) {
            appendLink(svg, sink, boxes);
        }
        svg.append("  </g>\n</svg>\n");
        return svg.toString();
    }

    /**
     * The links between boxes: each top-level sink pad fed by a pad of a box (an inner pad counts
     * as its composed element's); fills {@code predecessors} with each box's feeding boxes.
     */
    private static List<SinkPad> links(List<Box> all, Map<Element, Box> boxes, Map<Box, Set<Box>> predecessors) {
        List<SinkPad> links = new ArrayList<>();
        for (Box b : all) {
            predecessors.put(b, new LinkedHashSet<>());
        }
        for (Box b : all) {
            for (SinkPad sink : b.element.sinkPadArray()) {
                Box from = sink.other == null ? null : boxes.get(topLevel(sink.other.element(), boxes));
                if (from != null) {
                    links.add(sink);
                    if (from != b) {
                        predecessors.get(b).add(from);
                    }
                }
            }
        }
        return links;
    }

    /** The document's start: the XML declaration, the svg element, the arrow marker, the white background, the title. */
    private static void appendHeader(StringBuilder svg, double width, double height, String label) {
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(num(width)).append("\" height=\"")
                .append(num(height)).append("\" viewBox=\"0 0 ").append(num(width)).append(' ').append(num(height))
                .append("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
        svg.append("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\""
                + " markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/>"
                + "</marker></defs>\n");
        svg.append("  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        if (label != null) {
            svg.append("  <text class=\"label\" x=\"").append(num(width / 2)).append("\" y=\"20\" text-anchor=\"middle\""
                    + " font-size=\"14\" font-weight=\"bold\">").append(escape(label)).append("</text>\n");
        }
    }

    /** The curve from the pad (or composed element) that feeds {@code sink} to {@code sink}, with an arrow. */
    private static void appendLink(StringBuilder svg, SinkPad sink, Map<Element, Box> boxes) {
        Box to = boxes.get(sink.element());
        Box from = boxes.get(topLevel(sink.other.element(), boxes));
        double x1 = from.x + from.width;
        double y1 = from.element == sink.other.element() ? from.sourceAnchorY(sink.other) : from.y + from.height / 2;
        double x2 = to.x;
        double y2 = to.sinkAnchorY(sink);
        double dx = Math.max(40, Math.abs(x2 - x1) / 2);
        svg.append("    <path class=\"link\" data-from=\"").append(escape(sink.other.name())).append("\" data-to=\"")
                .append(escape(sink.name())).append("\" d=\"M ").append(num(x1)).append(' ').append(num(y1))
                .append(" C ").append(num(x1 + dx)).append(' ').append(num(y1)).append(", ").append(num(x2 - dx))
                .append(' ').append(num(y2)).append(", ").append(num(x2)).append(' ').append(num(y2))
                .append("\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>\n");
    }

    /** {@code e}, or the outermost composed element holding it that is drawn. */
    private static Element topLevel(Element e, Map<Element, Box> boxes) {
        Element at = e;
        while (!boxes.containsKey(at) && at.composedIn != null) {
            at = at.composedIn;
        }
        return at;
    }

    /** Longest path from the boxes nobody feeds; a cycle (a pipeline that fails check()) falls back to order. */
    private static void assignLayers(List<Box> all, Map<Box, Set<Box>> predecessors) {
        Map<Box, Integer> indegree = new HashMap<>();
        Map<Box, List<Box>> successors = new IdentityHashMap<>();
        for (Box b : all) {
            successors.put(b, new ArrayList<>());
        }
        for (Box b : all) {
            indegree.put(b, predecessors.get(b).size());
            for (Box p : predecessors.get(b)) {
                successors.get(p).add(b);
            }
        }
        List<Box> ready = new ArrayList<>();
        for (Box b : all) {
            if (indegree.get(b) == 0) {
                ready.add(b);
            }
        }
        int done = 0;
        while (!ready.isEmpty()) {
            Box b = ready.remove(0);
            done++;
            for (Box s : successors.get(b)) {
                s.layer = Math.max(s.layer, b.layer + 1);
                if (indegree.merge(s, -1, Integer::sum) == 0) {
                    ready.add(s);
                }
            }
        }
        if (done < all.size()) {
            for (Box b : all) {
                b.layer = b.order; // a cycle: one column each, in insertion order
            }
        }
    }

    private static void place(List<Box> all, Map<Box, Set<Box>> predecessors, Map<Element, Box> boxes) {
        int layers = 0;
        for (Box b : all) {
            layers = Math.max(layers, b.layer + 1);
        }
        List<List<Box>> columns = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            columns.add(new ArrayList<>());
        }
        for (Box b : all) {
            columns.get(b.layer).add(b);
        }
        double x = MARGIN;
        Map<Box, Double> key = new IdentityHashMap<>();
        for (List<Box> column : columns) {
            for (Box b : column) {
                double sum = 0;
                int n = 0;
                for (SinkPad sink : b.element.sinkPadArray()) {
                    Box from = sink.other == null ? null : boxes.get(topLevel(sink.other.element(), boxes));
                    if (from != null && from.layer < b.layer) {
                        sum += from.element == sink.other.element() ? from.sourceAnchorY(sink.other)
                                : from.y + from.height / 2;
                        n++;
                    }
                }
                key.put(b, n == 0 ? Double.MAX_VALUE : sum / n);
            }
            column.sort(Comparator.comparingDouble((Box b) -> key.get(b)).thenComparingInt(b -> b.order));
            double y = MARGIN;
            double columnWidth = 0;
            for (Box b : column) {
                double wanted = key.get(b) == Double.MAX_VALUE ? y : key.get(b) - b.height / 2;
                b.y = Math.max(y, wanted);
                b.x = x;
                y = b.y + b.height + GAP_Y;
                columnWidth = Math.max(columnWidth, b.width);
            }
            x += columnWidth + GAP_X;
        }
    }

    private static void appendBox(StringBuilder svg, Box b) {
        Element e = b.element;
        svg.append("    <g class=\"element\" data-name=\"").append(escape(e.name())).append("\">\n");
        svg.append("      <rect class=\"box\" x=\"").append(num(b.x)).append("\" y=\"").append(num(b.y))
                .append("\" width=\"").append(num(b.width)).append("\" height=\"").append(num(b.height))
                .append("\" rx=\"6\" fill=\"#dbe9ff\" stroke=\"dodgerblue\" stroke-width=\"1.5\"/>\n");
        for (int i = 0; i < b.header.size(); i++) {
            svg.append("      <text x=\"").append(num(b.x + b.width / 2)).append("\" y=\"")
                    .append(num(b.y + 16 + i * HEADER_ROW_H)).append("\" text-anchor=\"middle\"")
                    .append(i == 0 ? " font-weight=\"bold\"" : " fill=\"#444\"").append('>')
                    .append(escape(b.header.get(i))).append("</text>\n");
        }
        for (SinkPad pad : e.sinkPadArray()) {
            appendPad(svg, pad, b.x + 4, b.padTop(pad.index()), b.padColumn, SINK_COLOUR, "start");
        }
        for (SourcePad pad : e.sourcePadArray()) {
            appendPad(svg, pad, b.x + b.width - 4 - b.padColumn, b.padTop(pad.index()), b.padColumn, SOURCE_COLOUR,
                    "end");
        }
        svg.append("    </g>\n");
    }

    private static void appendPad(StringBuilder svg, Pad pad, double x, double y, double w, String colour,
            String anchor) {
        String fill = pad.isLinked() ? colour : UNLINKED_COLOUR;
        svg.append("      <rect class=\"pad ").append(pad instanceof SinkPad ? "sink" : "source")
                .append("\" data-pad=\"").append(escape(pad.name())).append("\" x=\"").append(num(x)).append("\" y=\"")
                .append(num(y)).append("\" width=\"").append(num(w)).append("\" height=\"").append(num(ROW_H - 4))
                .append("\" fill=\"").append(fill).append("\" stroke=\"#555\" stroke-width=\"0.8\"/>\n");
        double tx = anchor.equals("start") ? x + 6 : x + w - 6;
        svg.append("      <text x=\"").append(num(tx)).append("\" y=\"").append(num(y + ROW_H / 2 + 2))
                .append("\" text-anchor=\"").append(anchor).append("\">").append(escape(pad.padName()))
                .append("</text>\n");
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** XML text and attribute escaping; characters XML 1.0 cannot hold become '?'. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> out.append(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c);
            }
        }
        return out.toString();
    }
}
